import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { ConnectionLostError } from "@web/core/network/rpc";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";

patch(PaymentScreen.prototype, {
    addNewPaymentLine(paymentMethod) {
        const partner = this.currentOrder.get_partner();
        if (paymentMethod.type !== "pay_later" || !partner) {
            return super.addNewPaymentLine(...arguments);
        }
        // Odoo warns that nothing follows the dues without an invoice: the
        // ledger does, on the customer. Odoo's warning is the first thing the
        // method does, before any await.
        const notification = this.notification;
        const odooWarning = _t(
            "To ensure due balance follow-up, generate an invoice or download the accounting application. "
        );
        this.notification = {
            ...notification,
            add: (message, options) =>
                String(message) === String(odooWarning) ? () => {} : notification.add(message, options),
        };
        let result;
        try {
            result = super.addNewPaymentLine(...arguments);
        } finally {
            this.notification = notification;
        }
        notification.add(
            _t("The customer ledger follows the dues of %s: no invoice is needed.", partner.name),
            { type: "info", className: "o_ledger_follows_dues" }
        );
        return result;
    },

    toggleIsToInvoice() {
        if (this.currentOrder.isLedgerSettlement) {
            this.notification.add(_t("A settlement of dues is not invoiced."), { type: "warning" });
            return;
        }
        return super.toggleIsToInvoice(...arguments);
    },

    async afterOrderValidation() {
        const order = this.currentOrder;
        if (order.isLedgerSettlement && typeof order.id === "number") {
            // the receipt shows what the customer owes once the server booked the payment
            try {
                order.uiState.ledgerBalanceLeft = await this.pos.data.call(
                    "res.partner",
                    "get_ledger_dues_for_pos",
                    [[order.get_partner().id], this.pos.config.id]
                );
            } catch (error) {
                if (!(error instanceof ConnectionLostError)) {
                    throw error;
                }
            }
        }
        return super.afterOrderValidation(...arguments);
    },
});
