from odoo import api, fields, models

from ..tools.posting_rules import owes

# rows of each list on the ledger card at the till
POS_CARD_LIMIT = 5


class PosCustomerLedgerPosCard(models.AbstractModel):
    """What the till asks of a customer: their ledger card and their dues.
    The till calls ``res.partner.ledger_pos_card`` and
    ``res.partner.get_ledger_dues_for_pos`` over RPC, which check the
    caller's right and come here."""

    _name = "pos.customer.ledger.pos.card"
    _description = "Customer Ledger Card at the Till"

    @api.model
    def _dues(self, partner, config_id):
        """What ``partner`` owes in the company of a point of sale: the till
        asks when the cashier settles their dues, as partners are not preloaded."""
        partner.check_access("read")
        config = self.env["pos.config"].browse(config_id)
        config.check_access("read")
        company = config.company_id
        stat = (
            self.env["pos.customer.ledger.partner.stat"]
            .sudo()
            .search([("partner_id", "=", partner.commercial_partner_id.id), ("company_id", "=", company.id)])
        )
        return company.currency_id.round(stat.balance)

    @api.model
    def _card(self, partner, config_id=None):
        """What the till shows of ``partner``, fetched when the cashier opens
        their ledger card: balance due, segment, churn risk and expected next
        visit, last visits, favourite products sold at that point of sale, and
        staff notes. A handful of indexed queries, all in the company of the
        point of sale."""
        company = self.env["pos.config"].browse(config_id).company_id if config_id else self.env.company
        # one company only: the balance and the favourites are per company
        card = self.with_context(allowed_company_ids=company.ids)
        partner = partner.with_env(card.env)
        commercial = partner.commercial_partner_id
        currency = commercial.ledger_currency_id
        notes = [
            note for note in dict.fromkeys((partner | commercial).mapped("ledger_preference_note")) if note
        ]
        segment = commercial.rfm_segment
        segments = dict(partner._fields["rfm_segment"]._description_selection(self.env))
        return {
            "partner_id": commercial.id,
            "name": commercial.display_name,
            "balance": commercial.ledger_balance,
            "owes": owes(currency, commercial.ledger_balance),
            "currency": {
                "id": currency.id,
                "symbol": currency.symbol,
                "position": currency.position,
                "decimal_places": currency.decimal_places,
            },
            "segment": segment and {"code": segment, "label": segments[segment]},
            "churn_risk": commercial.ledger_churn_risk,
            "next_visit_date": fields.Date.to_string(commercial.ledger_next_visit_date),
            "last_visits": card._visits(commercial),
            "favourites": card._favourites(commercial, config_id),
            "notes": "\n".join(notes),
            "tags": [
                {"id": tag.id, "name": tag.name, "color": tag.color}
                for tag in (partner | commercial).ledger_preference_tag_ids
            ],
        }

    @api.model
    def _visits(self, partner):
        """The customer's last POS orders, from the partner/company/date index."""
        entries = self.env["pos.customer.ledger.entry"].search_fetch(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", self.env.company.id),
                ("pos_order_id", "!=", False),
            ],
            ["date", "kind", "amount_total", "amount_due"],
            order="date desc, id desc",
            limit=POS_CARD_LIMIT,
        )
        kinds = dict(entries._fields["kind"]._description_selection(self.env))
        return [
            {
                "date": fields.Datetime.to_string(entry.date),
                "kind": entry.kind,
                "kind_label": kinds[entry.kind],
                "amount": entry.amount,
            }
            for entry in entries
        ]

    @api.model
    def _favourites(self, partner, config_id):
        """The customer's most bought products that the point of sale sells;
        the till shows them from its own product data."""
        domain = [
            ("partner_id", "=", partner.id),
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
