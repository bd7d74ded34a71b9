import { patch } from "@web/core/utils/patch";
import { PosOrder } from "@point_of_sale/app/models/pos_order";

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
            data.ledgerSettlement = {
                paid: this.ledgerAmountPaid,
                // known once the server has booked it: undefined offline
                balance: this.uiState.ledgerBalanceLeft,
            };
        }
        return data;
    },
});
