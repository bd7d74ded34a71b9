import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as NumberPopup from "@point_of_sale/../tests/tours/utils/number_popup_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("pos_customer_ledger_settle_dues", {
    steps: () =>
        [
            Chrome.startPoS(),
            ProductScreen.clickPartnerButton(),
            ProductScreen.clickCustomer("Ledger Debtor"),
            ProductScreen.clickControlButton("Settle Dues"),
            {
                content: "the popup tells what the customer owes",
                trigger: ".modal .subtitle:contains('Ledger Debtor owes')",
            },
            NumberPopup.isShown("50.00"),
            NumberPopup.enterValue("20"),
            NumberPopup.isShown("20"),
            Dialog.confirm("Settle"),
            PaymentScreen.isShown(),
            PaymentScreen.clickPaymentMethod("Cash", true, { remaining: "0.00" }),
            PaymentScreen.selectedPaymentlineHas("Cash", "20.00"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
        ].flat(),
});

// A customer without dues pays into their account (stored value); the card shows the credit.
registry.category("web_tour.tours").add("pos_customer_ledger_deposit", {
    steps: () =>
        [
            Chrome.startPoS(),
            ProductScreen.clickPartnerButton(),
            ProductScreen.clickCustomer("Ledger Saver"),
            ProductScreen.clickControlButton("Settle Dues"),
            {
                content: "no dues: the popup takes a deposit",
                trigger: ".modal .subtitle:contains('Ledger Saver owes nothing')",
            },
            NumberPopup.enterValue("30"),
            NumberPopup.isShown("30"),
            Dialog.confirm("Deposit"),
            PaymentScreen.isShown(),
            PaymentScreen.clickPaymentMethod("Cash", true, { remaining: "0.00" }),
            PaymentScreen.selectedPaymentlineHas("Cash", "30.00"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
            ReceiptScreen.clickNextOrder(),
            ProductScreen.clickPartnerButton(),
            ProductScreen.clickCustomer("Ledger Saver"),
            {
                content: "open the customer's ledger card",
                trigger: ".product-screen .o_ledger_card_button",
                run: "click",
            },
            {
                content: "the card shows a credit, not a negative due",
                trigger: ".o_ledger_card .o_ledger_card_credit:contains('30.00'):not(:contains('-'))",
            },
            {
                trigger: ".o_ledger_card:not(:has(.o_ledger_card_balance))",
            },
        ].flat(),
});
