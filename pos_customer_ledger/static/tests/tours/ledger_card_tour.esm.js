import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import { registry } from "@web/core/registry";

// Data from TestPosLedgerCardTour (tests/test_pos_tours.py).
registry.category("web_tour.tours").add("pos_customer_ledger_card_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            {
                content: "no customer selected: no ledger button",
                trigger: ".product-screen .control-buttons:not(:has(.o_ledger_card_button))",
            },
            ProductScreen.clickPartnerButton(),
            ProductScreen.clickCustomer("Ledger Card Customer"),
            {
                content: "open the customer's ledger card",
                trigger: ".product-screen .o_ledger_card_button",
                run: "click",
            },
            {
                content: "the balance due is shown",
                trigger: ".o_ledger_card .o_ledger_card_balance:contains('12.00')",
            },
            {
                content: "the segment is shown",
                trigger: ".o_ledger_card .o_ledger_card_segment [data-segment='at_risk']:contains('At Risk')",
            },
            {
                content: "the churn risk is flagged",
                trigger: ".o_ledger_card .o_ledger_card_churn",
            },
            {
                content: "the expected next visit is shown",
                trigger: ".o_ledger_card .o_ledger_card_next_visit",
            },
            {
                content: "the staff notes are shown",
                trigger: ".o_ledger_card .o_ledger_card_notes:contains('Oat milk, no sugar')",
            },
            {
                content: "the preference tags are shown",
                trigger: ".o_ledger_card .o_ledger_card_tags:contains('Regular')",
            },
            {
                content: "both visits are listed",
                trigger: ".o_ledger_card .o_ledger_card_visits tr:eq(1)",
            },
            {
                content: "with how many the customer bought",
                trigger: ".o_ledger_card .o_ledger_card_favourite:eq(0) .badge:contains('×3')",
            },
            {
                content: "the most bought product comes first; tap it",
                trigger: ".o_ledger_card .o_ledger_card_favourite:eq(0):contains('Ledger Tea')",
                run: "click",
            },
            {
                content: "the card is closed",
                trigger: "body:not(:has(.o_ledger_card))",
            },
            ProductScreen.selectedOrderlineHas("Ledger Tea", "1.0"),
            Chrome.endTour(),
        ].flat(),
});

// A cashier without ledger access: a notification, no error dialog.
registry.category("web_tour.tours").add("pos_customer_ledger_card_denied_tour", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            ProductScreen.clickPartnerButton(),
            ProductScreen.clickCustomer("Ledger Card Customer"),
            {
                trigger: ".product-screen .o_ledger_card_button",
                run: "click",
            },
            {
                content: "the cashier is told they lack access",
                trigger: ".o_notification:contains('not allowed to see the customer ledger')",
            },
            {
                content: "no card and no error dialog",
                trigger: "body:not(:has(.o_ledger_card)):not(:has(.o_error_dialog))",
            },
            ProductScreen.isShown(),
            Chrome.endTour(),
        ].flat(),
});
