import { _t } from "@web/core/l10n/translation";
import { ConnectionLostError, RPCError } from "@web/core/network/rpc";
import { patch } from "@web/core/utils/patch";
import { ControlButtons } from "@point_of_sale/app/screens/product_screen/control_buttons/control_buttons";
import { LedgerCardPopup } from "@pos_customer_ledger/ledger_card/ledger_card_popup.esm";

patch(ControlButtons.prototype, {
    /**
     * Fetch the selected customer's ledger card from the server, only now:
     * the till loads no ledger data when it opens.
     */
    async clickLedgerCard() {
        const partner = this.partner;
        if (!partner) {
            return;
        }
        let card;
        try {
            card = await this.pos.data.call("res.partner", "ledger_pos_card", [[partner.id]], {
                config_id: this.pos.config.id,
            });
        } catch (error) {
            if (error instanceof RPCError && error.exceptionName === "odoo.exceptions.AccessError") {
                this.notification.add(_t("You are not allowed to see the customer ledger."), {
                    type: "danger",
                });
                return;
            }
            if (error instanceof ConnectionLostError) {
                this.notification.add(
                    _t("The customer ledger cannot be shown offline. Try again once connected."),
                    { type: "warning" }
                );
                return;
            }
            throw error;
        }
        const favourites = await this.loadLedgerFavourites(card.favourites);
        this.dialog.add(LedgerCardPopup, { card, favourites });
    },

    /**
     * The favourites' products, loaded on demand when the till has not
     * loaded them yet (the POS may load a limited set of products), the way
     * the product screen loads products it searches on the server.
     */
    async loadLedgerFavourites(favourites) {
        const Product = this.pos.models["product.product"];
        const missing = favourites.map((f) => f.product_id).filter((id) => !Product.get(id));
        if (missing.length) {
            await this.pos.data.searchRead(
                "product.product",
                [["id", "in", missing]],
                this.pos.data.fields["product.product"],
                { context: { display_default_code: false } }
            );
            await this.pos.processProductAttributes();
        }
        // a product the till still cannot sell (e.g. archived meanwhile) is left out
        return favourites
            .map((favourite) => ({ product: Product.get(favourite.product_id), qty: favourite.qty }))
            .filter((favourite) => favourite.product);
    },
});
