import * as Chrome from "@point_of_sale/../tests/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/tours/utils/dialog_util";
import * as NumberPopup from "@point_of_sale/../tests/tours/utils/number_popup_util";
import * as PartnerList from "@point_of_sale/../tests/tours/utils/partner_list_util";
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
            content: "the amount on top is what is paid into the account, not a total of 0",
            trigger: `.payment-screen .o_ledger_settlement_total:contains('${paid}')`,
        },
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
            content: "the receipt names the customer",
            trigger: `.pos-receipt .o_ledger_receipt_customer:contains('${customer}')`,
        },
        {
            content: "the receipt shows the dues settled",
            trigger: `.pos-receipt .o_ledger_receipt_settled:contains('${paid}')`,
        },
        {
            content: "what the customer paid, in cash",
            trigger: `.pos-receipt .paymentlines:contains('Cash'):contains('${paid}')`,
        },
        {
            content: "and what the customer still owes",
            trigger: `.pos-receipt .o_ledger_receipt_balance:contains('${left}')`,
        },
        {
            content: "no negative customer-account line, no total of 0, no deposit",
            trigger:
                ".pos-receipt:not(:has(.paymentlines:contains('Customer Account'))):not(:has(.receipt-total))" +
                ":not(:has(.o_ledger_receipt_deposit)):not(:has(.o_ledger_receipt_paid))",
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
            {
                content: "the receipt shows a deposit, paid in cash",
                trigger: ".pos-receipt .o_ledger_receipt_deposit:contains('30.00')",
            },
            {
                trigger: ".pos-receipt .paymentlines:contains('Cash'):contains('30.00')",
            },
            {
                content: "and the credit it leaves",
                trigger: ".pos-receipt .o_ledger_receipt_credit:contains('30.00')",
            },
            {
                content: "no dues were settled, no negative customer-account line",
                trigger:
                    ".pos-receipt:not(:has(.o_ledger_receipt_settled))" +
                    ":not(:has(.paymentlines:contains('Customer Account')))",
            },
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

// A sale put on the customer account: without a customer Odoo's advice to
// invoice the dues or install accounting shows as usual; with one, the ledger
// follows the dues, so the till says that instead, and nothing else.
registry.category("web_tour.tours").add("pos_customer_ledger_account_sale", {
    steps: () =>
        [
            Chrome.startPoS(),
            ProductScreen.clickDisplayedProduct("Ledger Dues Product"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Customer Account", true, { remaining: "0.00" }),
            {
                content: "no customer yet: Odoo's own advice",
                trigger: ".o_notification:contains('To ensure due balance follow-up')",
            },
            {
                trigger: "body:not(:has(.o_ledger_follows_dues))",
            },
            {
                content: "dismiss it",
                trigger: ".o_notification .o_notification_close",
                run: "click",
            },
            {
                trigger: "body:not(:has(.o_notification))",
            },
            PaymentScreen.clickPaymentlineDelButton("Customer Account", "50.00"),
            {
                content: "choose the customer on the payment screen",
                trigger: ".payment-screen button.partner-button",
                run: "click",
            },
            PartnerList.clickPartner("Ledger Debtor"),
            PaymentScreen.clickPaymentMethod("Customer Account", true, { remaining: "0.00" }),
            {
                content: "the cashier is told that the ledger follows the dues",
                trigger: ".o_notification.o_ledger_follows_dues:contains('Ledger Debtor')",
            },
            {
                content: "and nothing else: not Odoo's advice, whatever its language",
                trigger: "body:not(:has(.o_notification:not(.o_ledger_follows_dues)))",
            },
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
        ].flat(),
});
