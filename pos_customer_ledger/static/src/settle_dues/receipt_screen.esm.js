import { patch } from "@web/core/utils/patch";
import { ReceiptScreen } from "@point_of_sale/app/screens/receipt_screen/receipt_screen";

patch(ReceiptScreen.prototype, {
    get orderAmountPlusTip() {
        const order = this.currentOrder;
        if (order.isLedgerSettlement) {
            return this.env.utils.formatCurrency(order.ledgerAmountPaid);
        }
        return super.orderAmountPlusTip;
    },
});
