import { browser } from "@web/core/browser/browser";
import { download } from "@web/core/network/download";
import { formatDate } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";
const { DateTime } = luxon;

// The back office's print and download buttons, clicked as a user does. The
// test (tests/test_print_buttons_tour.py) reads back the files the server sent.

const tours = registry.category("web_tour.tours");

/**
 * Count the files the page downloads, so that a step can wait for them.
 * Report actions download through `download`; a button returning an act_url
 * (target "download") opens its file in a new tab, which the browser blocks
 * here as a tour's clicks are not the user's: fetch it as that tab would.
 */
function countDownloads() {
    return {
        content: "count the downloaded files",
        trigger: "body",
        run() {
            const count = () => {
                document.body.dataset.ledgerDownloads = Number(document.body.dataset.ledgerDownloads) + 1;
            };
            document.body.dataset.ledgerDownloads = "0";
            const downloadFile = download._download;
            download._download = (options) => downloadFile(options).then(count);
            const open = browser.open;
            browser.open = (url, target) => {
                if (target !== "_blank" || !/[?&]download=true/.test(url)) {
                    return open(url, target);
                }
                fetch(url).then((response) => response.ok && count());
                return null;
            };
        },
    };
}

function downloaded(count) {
    return {
        content: `${count} file(s) downloaded`,
        trigger: `body[data-ledger-downloads="${count}"]`,
    };
}

const noError = {
    content: "no error dialog",
    trigger: "body:not(:has(.o_error_dialog))",
};

function click(content, trigger) {
    return { content, trigger, run: "click" };
}

function openCogMenu() {
    return click("open the actions menu", ".o_cp_action_menus button:has(.fa-cog)");
}

function openPrintSubmenu() {
    return click("open the Print submenu", ".o-dropdown--menu button:has(.fa-print)");
}

function printItem(name) {
    return click(`print ${name}`, `.o-dropdown--menu .o_menu_item:contains(/^\\s*${name}\\s*$/)`);
}

tours.add("pos_customer_ledger_statement_export_xlsx", {
    steps: () => [
        countDownloads(),
        click("open the customer's ledger tab", ".o_notebook .nav-link:contains(Ledger)"),
        click("open the Customer Statement wizard", "button[name=action_open_ledger_statement_wizard]"),
        {
            content: "the wizard is for this customer",
            trigger: ".modal .o_field_widget[name=partner_ids] .o_tag:contains(Print Tour Customer)",
        },
        click("export the statement as XLSX", ".modal button[name=action_export_xlsx]"),
        downloaded(1),
        noError,
    ],
});

tours.add("pos_customer_ledger_outstanding_statement_print", {
    steps: () => [
        countDownloads(),
        {
            content: "the customer's form",
            trigger: ".o_form_view .o_field_widget[name=name] input",
        },
        openCogMenu(),
        printItem("Outstanding Statement"),
        downloaded(1),
        noError,
    ],
});

tours.add("pos_customer_ledger_closing_downloads", {
    steps: () => [
        countDownloads(),
        {
            content: "the closed month's form",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Closed)",
        },
        click("export the closing as XLSX", ".o_form_view button[name=action_export_xlsx]"),
        downloaded(1),
        openCogMenu(),
        openPrintSubmenu(),
        printItem("Month Closing"),
        downloaded(2),
        openCogMenu(),
        openPrintSubmenu(),
        printItem("Month Closing \\(XLSX\\)"),
        downloaded(3),
        noError,
    ],
});

tours.add("pos_customer_ledger_closing_list_anchors", {
    steps: () => [
        countDownloads(),
        {
            content: "the month closings",
            trigger: ".o_list_view .o_data_row",
        },
        click("export the anchors", ".o_control_panel button[name=action_export_anchors]"),
        downloaded(1),
        noError,
    ],
});

tours.add("pos_customer_ledger_verify_print", {
    steps: () => [
        countDownloads(),
        click("verify the chain", ".modal button[name=action_verify]"),
        {
            content: "the chain is intact",
            trigger: ".modal .o_field_widget[name=result_ok] input:checked",
        },
        click("export the anchors", ".modal button[name=action_export_anchors]"),
        downloaded(1),
        click("print the check", ".modal button[name=action_print]"),
        {
            content: "the printed check shows the chain's last hash",
            trigger: ".o_action iframe:iframe .font-monospace:contains(/^[0-9a-f]{64}$/)",
        },
        click("print it as PDF", ".o_control_panel button:contains(Print)"),
        downloaded(2),
        noError,
    ],
});

tours.add("pos_customer_ledger_aging_export_xlsx", {
    steps: () => [
        countDownloads(),
        click("export the aged dues as XLSX", ".modal button[name=action_export_xlsx]"),
        downloaded(1),
        noError,
    ],
});

tours.add("pos_customer_ledger_segment_export_xlsx", {
    steps: () => [
        countDownloads(),
        {
            content: "the wizard offers a segment (Champions by default)",
            trigger: ".modal .o_field_widget[name=segment] select",
        },
        click("export the segment as XLSX", ".modal button[name=action_export_xlsx]"),
        downloaded(1),
        noError,
    ],
});

tours.add("pos_customer_ledger_promotion_export_xlsx", {
    steps: () => [
        countDownloads(),
        {
            content: "a pricelist is the promotion",
            trigger: ".modal .o_field_widget[name=promotion_ref] select",
            run: "select product.pricelist",
        },
        {
            content: "choose it",
            trigger: ".modal .o_field_widget[name=promotion_ref] input",
            run: "edit Print Tour Promotion",
        },
        click("pick it", ".o-autocomplete--dropdown-item:contains(Print Tour Promotion)"),
        {
            content: "a pricelist has no dates: the promotion's first day, a week ago",
            trigger: ".modal .o_field_widget[name=date_from] input",
            run: `edit ${formatDate(DateTime.now().minus({ days: 6 }))} && press Enter`,
        },
        {
            content: "and its last day, today",
            trigger: ".modal .o_field_widget[name=date_to] input",
            run: `edit ${formatDate(DateTime.now())} && press Enter`,
        },
        click("compute its figures", ".modal button[name=action_compute]"),
        {
            content: "the figures are shown",
            trigger: ".modal .o_field_widget[name=metric_ids] .o_data_row",
        },
        click("export them as XLSX", ".modal button[name=action_export_xlsx]"),
        downloaded(1),
        noError,
    ],
});
