import { patch } from "@web/core/utils/patch";
import { PosOrder } from "@point_of_sale/app/models/pos_order";
import { roundCurrency } from "@point_of_sale/app/models/utils/currency";

patch(PosOrder.prototype, {
    /** The payments put on the customer account, which the ledger books on the customer. */
    get ledgerAccountPayments() {
        return this.payment_ids.filter((payment) => payment.payment_method_id?.type === "pay_later");
    },

    /** A settlement of dues or a deposit: no products, paid into the customer account. */
    get isLedgerSettlement() {
        return !this.lines.length && this.ledgerAccountPayments.some((payment) => payment.amount < 0);
    },

    /** What a settlement pays into the customer account. */
    get ledgerAmountPaid() {
        return -this.ledgerAccountPayments.reduce((sum, payment) => sum + payment.amount, 0);
    },

    set_to_invoice(to_invoice) {
        // a settlement has nothing to invoice (the server refuses it): Odoo
        // ticks Invoice for every company customer, so refuse it here
        super.set_to_invoice(to_invoice && !this.isLedgerSettlement);
    },

    export_for_printing() {
        const data = super.export_for_printing(...arguments);
        if (this.isLedgerSettlement) {
            // the negative customer-account line books the settlement: the
            // customer paid the other lines, so only those are printed
            const accountPayments = this.ledgerAccountPayments;
            data.paymentlines = this.payment_ids
                .filter((payment) => !payment.is_change && !accountPayments.includes(payment))
                .map((payment) => payment.export_for_printing());
            const paid = this.ledgerAmountPaid;
            // known once the server has booked the payment: undefined offline
            const balance = this.uiState.ledgerBalanceLeft;
            // whose dues: Odoo's receipt does not name the customer
            data.ledgerSettlement = { customer: this.get_partner().name, paid, balance };
            if (balance !== undefined) {
                // what was owed before goes first; the rest is a deposit
                const settled = roundCurrency(Math.min(paid, Math.max(balance + paid, 0)), this.currency);
                data.ledgerSettlement.settled = settled;
                data.ledgerSettlement.deposit = roundCurrency(paid - settled, this.currency);
            }
        }
        return data;
    },
});
