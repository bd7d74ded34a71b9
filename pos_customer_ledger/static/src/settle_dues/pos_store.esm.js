import { _t } from "@web/core/l10n/translation";
import { floatIsZero } from "@web/core/utils/numbers";
import { patch } from "@web/core/utils/patch";
import { parseFloat } from "@web/views/fields/parsers";
import { NumberPopup } from "@point_of_sale/app/utils/input_popups/number_popup";
import { PosStore } from "@point_of_sale/app/store/pos_store";
import { makeAwaitable } from "@point_of_sale/app/store/make_awaitable_dialog";

patch(PosStore.prototype, {
    /** The customer account method that books dues per customer. */
    get ledgerCustomerAccountMethod() {
        return this.config.payment_method_ids.find(
            (method) => method.type === "pay_later" && method.split_transactions
        );
    },

    /**
     * Take a payment of the customer's dues: an order without products whose
     * negative customer-account line is paid by cash or card on the payment
     * screen. Beyond the dues it is a deposit that leaves the customer in
     * credit, unless the company refuses that. The server checks the amount
     * again when the order syncs.
     */
    async settleLedgerDues(partner) {
        const method = this.ledgerCustomerAccountMethod;
        if (!partner || !method) {
            return;
        }
        // asked each time: partners are not preloaded and dues change at every till
        const owed = await this.data.call("res.partner", "get_ledger_dues_for_pos", [
            [partner.id],
            this.config.id,
        ]);
        const decimals = this.currency.decimal_places;
        const hasDues = owed > 0 && !floatIsZero(owed, decimals);
        // otherwise, what is paid beyond the dues is a deposit: the customer's credit
        const duesOnly = this.company.ledger_refuse_overpayment;
        if (duesOnly && !hasDues) {
            this.notification.add(_t("%s has no dues to settle.", partner.name), {
                type: "info",
            });
            return;
        }
        const parse = (buffer) => {
            try {
                return parseFloat(buffer || "");
            } catch {
                return NaN;
            }
        };
        const isValid = (buffer) => {
            const amount = parse(buffer);
            return (
                amount > 0 &&
                !floatIsZero(amount, decimals) &&
                (!duesOnly || amount <= owed + 10 ** -decimals / 2)
            );
        };
        let subtitle;
        if (hasDues) {
            subtitle = _t("%(customer)s owes %(amount)s.", {
                customer: partner.name,
                amount: this.env.utils.formatCurrency(owed),
            });
        } else if (owed < 0 && !floatIsZero(owed, decimals)) {
            subtitle = _t("%(customer)s has a credit of %(amount)s.", {
                customer: partner.name,
                amount: this.env.utils.formatCurrency(-owed),
            });
        } else {
            subtitle = _t("%s owes nothing.", partner.name);
        }
        const buffer = await makeAwaitable(this.dialog, NumberPopup, {
            title: hasDues ? _t("Settle Dues") : _t("Deposit"),
            subtitle,
            startingValue: hasDues ? this.env.utils.formatCurrency(owed, false) : "",
            formatDisplayedValue: (value) => `${this.currency.symbol} ${value}`,
            feedback: (value) => {
                if (isValid(value)) {
                    return false;
                }
                return duesOnly
                    ? _t("Enter an amount up to what the customer owes.")
                    : _t("Enter an amount to pay into the customer account.");
            },
            isValid,
            confirmButtonLabel: hasDues ? _t("Settle") : _t("Deposit"),
        });
        if (buffer === undefined || !isValid(buffer)) {
            return;
        }
        const current = this.get_order();
        const order =
            current && current.is_empty() && !current.payment_ids.length && !current.finalized
                ? current
                : this.add_new_order();
        order.set_partner(partner);
        const line = order.add_paymentline(method);
        line.set_amount(-parse(buffer));
        // Odoo ticked Invoice if the customer is a company: a settlement is never invoiced
        order.set_to_invoice(false);
        this.showScreen("PaymentScreen", { orderUuid: order.uuid });
    },
});
