import { registry } from "@web/core/registry";

// From a customer's form: Customer Statement, then Print PDF. The wizard closes
// once the PDF is downloaded; a refused print leaves an error dialog open.
registry.category("web_tour.tours").add("pos_customer_ledger_statement_print_pdf", {
    steps: () => [
        {
            content: "open the customer's ledger tab",
            trigger: ".o_notebook .nav-link:contains(Ledger)",
            run: "click",
        },
        {
            content: "open the Customer Statement wizard",
            trigger: "button[name=action_open_ledger_statement_wizard]",
            run: "click",
        },
        {
            content: "the wizard is for this customer",
            trigger: ".modal .o_field_widget[name=partner_ids] .o_tag:contains(Statement Tour Customer)",
        },
        {
            content: "print the statement as PDF",
            trigger: ".modal button[name=action_print_pdf]",
            run: "click",
        },
        {
            content: "the PDF came back: the wizard closed, no error dialog",
            trigger: "body:not(:has(.modal)) .o_form_view",
        },
    ],
});
