import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as NumberPopup from "@point_of_sale/../tests/tours/utils/number_popup_util";
import * as PaymentScreen from "@point_of_sale/../tests/tours/utils/payment_screen_util";
import * as ProductScreen from "@point_of_sale/../tests/tours/utils/product_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/utils/receipt_screen_util";
import { registry } from "@web/core/registry";

/**
 * Settle part of a customer's dues in cash: the popup offers what they owe,
 * the settlement is not invoiced (Odoo ticks Invoice for companies), and the
 * receipt shows what was paid and what is left.
 */
function settlePartOfTheDues(customer, { owed, pay, paid, left }) {
    return [
        Chrome.startPoS(),
        ProductScreen.clickPartnerButton(),
        ProductScreen.clickCustomer(customer),
        ProductScreen.clickControlButton("Settle Dues"),
        {
            content: "the popup tells what the customer owes",
            trigger: `.modal .subtitle:contains('${customer} owes')`,
        },
        NumberPopup.isShown(owed),
        NumberPopup.enterValue(pay),
        NumberPopup.isShown(pay),
        Dialog.confirm("Settle"),
        PaymentScreen.isShown(),
        {
            content: "a settlement is not invoiced",
            trigger: ".payment-screen .js_invoice:not(.highlight) .fa-square-o",
        },
        {
            content: "and Invoice cannot be ticked",
            trigger: ".payment-screen .js_invoice",
            run: "click",
        },
        {
            content: "the cashier is told why",
            trigger: ".o_notification:contains('A settlement of dues is not invoiced.')",
        },
        {
            trigger: ".payment-screen .js_invoice:not(.highlight) .fa-square-o",
        },
        PaymentScreen.clickPaymentMethod("Cash", true, { remaining: "0.00" }),
        PaymentScreen.selectedPaymentlineHas("Cash", paid),
        PaymentScreen.clickValidate(),
        ReceiptScreen.isShown(),
        {
            content: "the screen shows the amount paid, not the order's total of 0",
            trigger: `.receipt-screen .o_payment_successful:contains('${paid}')`,
        },
        {
            content: "the receipt shows the amount paid",
            trigger: `.pos-receipt .o_ledger_receipt_paid:contains('${paid}')`,
        },
        {
            content: "and what the customer still owes",
            trigger: `.pos-receipt .o_ledger_receipt_balance:contains('${left}')`,
        },
        {
            trigger: ".pos-receipt:not(:has(.receipt-total))",
        },
    ].flat();
}

registry.category("web_tour.tours").add("pos_customer_ledger_settle_dues", {
    steps: () => settlePartOfTheDues("Ledger Debtor", { owed: "50.00", pay: "20", paid: "20.00", left: "30.00" }),
});

registry.category("web_tour.tours").add("pos_customer_ledger_settle_dues_company", {
    steps: () =>
        settlePartOfTheDues("Ledger Debtor Cafe", { owed: "50.00", pay: "20", paid: "20.00", left: "30.00" }),
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

// A sale put on the customer account: the ledger follows the dues, so Odoo's
// advice to invoice them or install accounting is replaced by saying so.
registry.category("web_tour.tours").add("pos_customer_ledger_account_sale", {
    steps: () =>
        [
            Chrome.startPoS(),
            ProductScreen.clickDisplayedProduct("Ledger Dues Product"),
            ProductScreen.clickPartnerButton(),
            ProductScreen.clickCustomer("Ledger Debtor"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Customer Account", true, { remaining: "0.00" }),
            {
                content: "the cashier is told that the ledger follows the dues",
                trigger: ".o_notification.o_ledger_follows_dues:contains('Ledger Debtor')",
            },
            {
                content: "not that an invoice or the accounting application is needed",
                trigger: "body:not(:has(.o_notification:contains('To ensure due balance follow-up')))",
            },
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
        ].flat(),
});
