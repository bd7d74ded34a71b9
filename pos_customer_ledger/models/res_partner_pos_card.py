from odoo import fields, models

from ..tools.access import ledger_right

# rows of each list on the ledger card at the till
POS_CARD_LIMIT = 5


class ResPartner(models.Model):
    """What the till asks of a customer over RPC: their ledger card and their
    dues. The till calls these names on res.partner."""

    _inherit = "res.partner"

    @ledger_right("settle")
    def get_ledger_dues_for_pos(self, config_id):
        """What this customer owes in the company of a point of sale: the till
        asks when the cashier settles their dues, as partners are not preloaded."""
        self.ensure_one()
        self.check_access("read")
        config = self.env["pos.config"].browse(config_id)
        config.check_access("read")
        company = config.company_id
        stat = (
            self.env["pos.customer.ledger.partner.stat"]
            .sudo()
            .search([("partner_id", "=", self.commercial_partner_id.id), ("company_id", "=", company.id)])
        )
        return company.currency_id.round(stat.balance)

    @ledger_right("view")
    def ledger_pos_card(self, config_id=None):
        """What the till shows of the customer, fetched when the cashier opens
        their ledger card: balance due, segment, churn risk and expected next
        visit, last visits, favourite products sold at that point of sale, and
        staff notes. A handful of indexed queries, all in the company of the
        point of sale."""
        self.ensure_one()
        company = self.env["pos.config"].browse(config_id).company_id if config_id else self.env.company
        # one company only: the balance and the favourites are per company
        partner = self.with_context(allowed_company_ids=company.ids)
        commercial = partner.commercial_partner_id
        currency = commercial.ledger_currency_id
        notes = [
            note for note in dict.fromkeys((partner | commercial).mapped("ledger_preference_note")) if note
        ]
        segment = commercial.rfm_segment
        segments = dict(self._fields["rfm_segment"]._description_selection(self.env))
        return {
            "partner_id": commercial.id,
            "name": commercial.display_name,
            "balance": commercial.ledger_balance,
            "currency": {
                "id": currency.id,
                "symbol": currency.symbol,
                "position": currency.position,
                "decimal_places": currency.decimal_places,
            },
            "segment": segment and {"code": segment, "label": segments[segment]},
            "churn_risk": commercial.ledger_churn_risk,
            "next_visit_date": fields.Date.to_string(commercial.ledger_next_visit_date),
            "last_visits": commercial._ledger_pos_card_visits(),
            "favourites": commercial._ledger_pos_card_favourites(config_id),
            "notes": "\n".join(notes),
            "tags": [
                {"id": tag.id, "name": tag.name, "color": tag.color}
                for tag in (partner | commercial).ledger_preference_tag_ids
            ],
        }

    def _ledger_pos_card_visits(self):
        """The customer's last POS orders, from the partner/company/date index."""
        entries = self.env["pos.customer.ledger.entry"].search_fetch(
            [
                ("partner_id", "=", self.id),
                ("company_id", "=", self.env.company.id),
                ("pos_order_id", "!=", False),
            ],
            ["date", "kind", "amount_total"],
            order="date desc, id desc",
            limit=POS_CARD_LIMIT,
        )
        kinds = dict(entries._fields["kind"]._description_selection(self.env))
        return [
            {
                "date": fields.Datetime.to_string(entry.date),
                "kind": entry.kind,
                "kind_label": kinds[entry.kind],
                "amount": entry.amount_total,
            }
            for entry in entries
        ]

    def _ledger_pos_card_favourites(self, config_id):
        """The customer's most bought products that the point of sale sells;
        the till shows them from its own product data."""
        domain = [
            ("partner_id", "=", self.id),
            ("company_id", "=", self.env.company.id),
            ("product_id.sale_ok", "=", True),
            ("product_id.available_in_pos", "=", True),
        ]
        config = self.env["pos.config"].browse(config_id)
        if config.limit_categories and config.iface_available_categ_ids:
            domain.append(("product_id.pos_categ_ids", "in", config.iface_available_categ_ids.ids))
        preferences = self.env["pos.customer.preference"].search_fetch(
            domain, ["product_id", "qty", "rank", "last_date"], order="rank, id", limit=POS_CARD_LIMIT
        )
        return [
            {
                "product_id": preference.product_id.id,
                "qty": preference.qty,
                "rank": preference.rank,
                "last_date": fields.Datetime.to_string(preference.last_date),
            }
            for preference in preferences
        ]
