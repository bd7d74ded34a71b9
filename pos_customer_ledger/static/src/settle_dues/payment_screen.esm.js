import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { AlertDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { ConnectionLostError } from "@web/core/network/rpc";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";

patch(PaymentScreen.prototype, {
    /**
     * Odoo 18's method, minus its advice to invoice the dues or install
     * accounting, when the payment goes on the account of a customer: the
     * ledger follows those dues, so the till says so instead. Otherwise (no
     * customer yet, another method) Odoo's method runs unchanged.
     */
    async addNewPaymentLine(paymentMethod) {
        const partner = this.currentOrder.get_partner();
        if (paymentMethod.type !== "pay_later" || !partner) {
            return super.addNewPaymentLine(...arguments);
        }
        // a customer-account method has no payment terminal: the rest of
        // Odoo's method is adding the line and checking the cash rounding
        const line = this.currentOrder.add_paymentline(paymentMethod);
        if (!this.check_cash_rounding_has_been_well_applied()) {
            return;
        }
        if (!line) {
            this.dialog.add(AlertDialog, {
                title: _t("Error"),
                body: _t("There is already an electronic payment in progress."),
            });
            return false;
        }
        this.numberBuffer.reset();
        this.notification.add(
            _t("The customer ledger follows the dues of %s: no invoice is needed.", partner.name),
            { type: "info", className: "o_ledger_follows_dues" }
        );
        return true;
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
