import { Component } from "@odoo/owl";
import { Dialog } from "@web/core/dialog/dialog";
import { _t } from "@web/core/l10n/translation";
import {
    deserializeDate,
    deserializeDateTime,
    formatDate,
    formatDateTime,
} from "@web/core/l10n/dates";
import { formatFloat } from "@web/core/utils/numbers";
import { usePos } from "@point_of_sale/app/store/pos_hook";

/**
 * The customer's ledger card at the till, from res.partner.ledger_pos_card:
 * balance due, segment, churn risk, favourites (one tap adds one to the
 * order), staff notes and tags, last visits.
 */
export class LedgerCardPopup extends Component {
    static template = "pos_customer_ledger.LedgerCardPopup";
    static components = { Dialog };
    static props = {
        card: Object,
        // [{product, qty}] with the favourites' POS product records
        favourites: Array,
        close: Function,
    };

    setup() {
        this.pos = usePos();
    }

    get title() {
        return _t("Customer Ledger: %s", this.props.card.name);
    }

    formatAmount(amount) {
        // the ledger's company currency, which may not be the till's
        const { symbol, position, decimal_places } = this.props.card.currency;
        const value = formatFloat(amount, { digits: [69, decimal_places] });
        return position === "after" ? `${value}\u00a0${symbol}` : `${symbol}\u00a0${value}`;
    }

    formatDateTime(value) {
        // a visit's minute is enough; seconds only clutter the list
        return formatDateTime(deserializeDateTime(value), { showSeconds: false });
    }

    formatDate(value) {
        return formatDate(deserializeDate(value));
    }

    formatQty(qty) {
        return this.env.utils.formatProductQty(qty, false);
    }

    async addFavourite(product) {
        this.props.close();
        await this.pos.addLineToCurrentOrder({ product_id: product }, {});
    }
}
