import operator as py_operator

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

LEDGER_GROUP = "pos_customer_ledger.group_ledger_user"
OPERATORS = {
    "=": py_operator.eq,
    "!=": py_operator.ne,
    "<": py_operator.lt,
    "<=": py_operator.le,
    ">": py_operator.gt,
    ">=": py_operator.ge,
}

STATEMENT_MAIL_BATCH = 200
# rows of each list on the ledger card at the till
POS_CARD_LIMIT = 5


class ResPartner(models.Model):
    _inherit = "res.partner"

    ledger_currency_id = fields.Many2one("res.currency", compute="_compute_ledger_stats", groups=LEDGER_GROUP)
    ledger_balance = fields.Monetary(
        string="Ledger Balance",
        currency_field="ledger_currency_id",
        compute="_compute_ledger_stats",
        search="_search_ledger_balance",
        groups=LEDGER_GROUP,
        help="What the customer owes the shop on their POS customer account.",
    )
    ledger_order_count = fields.Integer(
        string="Ledger Orders", compute="_compute_ledger_stats", groups=LEDGER_GROUP
    )
    ledger_total_spent = fields.Monetary(
        string="Total Spent",
        currency_field="ledger_currency_id",
        compute="_compute_ledger_stats",
        groups=LEDGER_GROUP,
        help="POS sales net of refunds.",
    )
    ledger_avg_basket = fields.Monetary(
        string="Average Basket",
        currency_field="ledger_currency_id",
        compute="_compute_ledger_stats",
        groups=LEDGER_GROUP,
    )
    ledger_first_date = fields.Datetime(
        string="First Visit", compute="_compute_ledger_stats", groups=LEDGER_GROUP
    )
    ledger_last_date = fields.Datetime(
        string="Last Visit", compute="_compute_ledger_stats", groups=LEDGER_GROUP
    )
    ledger_entry_ids = fields.One2many(
        "pos.customer.ledger.entry", "partner_id", string="Ledger Entries", groups=LEDGER_GROUP
    )
    ledger_preference_note = fields.Text(
        string="Preference Notes",
        groups=LEDGER_GROUP,
        help="What staff know of the customer's wishes: sizes, allergies, how they like to be served.",
    )
    ledger_preference_tag_ids = fields.Many2many(
        "pos.customer.preference.tag", string="Preference Tags", groups=LEDGER_GROUP
    )
    ledger_preference_ids = fields.One2many(
        "pos.customer.preference",
        "partner_id",
        string="Favourites",
        domain=[("rank", "<=", 10)],
        groups=LEDGER_GROUP,
    )

    @api.depends_context("allowed_company_ids")
    def _compute_ledger_stats(self):
        """Totals over the customer's commercial entity, in the active companies."""
        commercial = self.commercial_partner_id
        groups = self.env["pos.customer.ledger.partner.stat"]._read_group(
            [("partner_id", "in", commercial.ids), ("company_id", "in", self.env.companies.ids)],
            groupby=["partner_id"],
            aggregates=[
                "balance:sum",
                "order_count:sum",
                "total_spent:sum",
                "first_date:min",
                "last_date:max",
            ],
        )
        stats = {partner.id: values for partner, *values in groups}
        for partner in self:
            balance, count, spent, first, last = stats.get(
                partner.commercial_partner_id.id, (0.0, 0, 0.0, False, False)
            )
            partner.ledger_currency_id = self.env.company.currency_id
            partner.ledger_balance = balance
            partner.ledger_order_count = count
            partner.ledger_total_spent = spent
            partner.ledger_avg_basket = spent / count if count else 0.0
            partner.ledger_first_date = first
            partner.ledger_last_date = last

    def _search_ledger_balance(self, operator, value):
        if operator not in OPERATORS:
            raise UserError(self.env._("Unsupported search on the ledger balance: %s", operator))
        Stat = self.env["pos.customer.ledger.partner.stat"]
        company_domain = [("company_id", "in", self.env.companies.ids)]
        matching = Stat._read_group(company_domain, ["partner_id"], having=[("balance:sum", operator, value)])
        domain = [("commercial_partner_id", "in", [partner.id for (partner,) in matching])]
        if OPERATORS[operator](0.0, value or 0.0):
            # customers without any entry have a zero balance too
            with_stats = Stat._read_group(company_domain, ["partner_id"])
            domain = ["|", *domain, ("commercial_partner_id", "not in", [p.id for (p,) in with_stats])]
        return domain

    def action_open_ledger_entries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "pos_customer_ledger.action_pos_customer_ledger_entry"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action

    def action_open_ledger_statement_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer Statement"),
            "res_model": "pos.customer.ledger.statement.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_ids": self.commercial_partner_id.ids},
        }

    def ledger_statement_xlsx(self, date_from, date_to, statement_type="activity"):
        """Customer statement of the customers in ``self`` as XLSX bytes, for the
        current company: ``activity`` (opening balance, the period's entries,
        closing balance) or ``outstanding`` (what is due at ``date_to``, aged).
        """
        if not self.env.user.has_group("pos_customer_ledger.group_ledger_auditor"):
            raise AccessError(self.env._("Only ledger auditors and managers can export customer statements."))
        return self.env["report.pos_customer_ledger.customer_statement"]._render_xlsx(
            self, date_from, date_to, statement_type
        )

    def ledger_statement_pdf(self, date_from, date_to, statement_type="activity"):
        """The same statements as one PDF, each in its customer's language under
        the company's letterhead."""
        if not self.env.user.has_group("pos_customer_ledger.group_ledger_auditor"):
            raise AccessError(self.env._("Only ledger auditors and managers can print customer statements."))
        content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "pos_customer_ledger.action_report_customer_statement",
            self.commercial_partner_id.ids,
            data=self._ledger_statement_report_data(date_from, date_to, statement_type),
        )
        return content

    @api.model
    def _ledger_statement_report_data(self, date_from, date_to, statement_type):
        return {
            "date_from": fields.Date.to_string(fields.Date.to_date(date_from)),
            "date_to": fields.Date.to_string(fields.Date.to_date(date_to)),
            "statement_type": statement_type,
        }

    @api.model
    def _cron_send_ledger_statements(self, batch_size=STATEMENT_MAIL_BATCH):
        """Email their outstanding statement to the customers who owe at least
        their company's minimum, once per the company's frequency. Opt-in per
        company; a batch per run, the scheduled action continues with the rest."""
        template = self.env.ref("pos_customer_ledger.mail_template_outstanding_statement")
        today = fields.Date.context_today(self)
        done = remaining = 0
        for company in self.env["res.company"].search([("ledger_statement_mail", "=", True)]):
            interval = (
                relativedelta(weeks=1)
                if company.ledger_statement_interval == "weekly"
                else relativedelta(months=1)
            )
            due = [
                ("company_id", "=", company.id),
                ("balance", ">=", max(company.ledger_statement_min_amount, company.currency_id.rounding)),
                ("partner_id.email", "!=", False),
                "|",
                ("statement_sent_date", "=", False),
                ("statement_sent_date", "<=", today - interval),
            ]
            Stat = self.env["pos.customer.ledger.partner.stat"].sudo()
            stats = Stat.search(due, limit=max(batch_size - done, 0), order="id")
            if stats:
                partners = stats.partner_id.with_company(company)
                composer = (
                    self.env["mail.compose.message"]
                    .with_company(company)
                    .with_context(
                        allowed_company_ids=company.ids,
                        ledger_statement_type="outstanding",
                        ledger_statement_date=fields.Date.to_string(today),
                    )
                    .create(
                        {
                            "composition_mode": "mass_mail",
                            "model": "res.partner",
                            "res_ids": repr(partners.ids),
                            "template_id": template.id,
                        }
                    )
                )
                composer._action_send_mail()
                stats.write({"statement_sent_date": today})
                done += len(stats)
            remaining += Stat.search_count(due)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    @api.model
    def ledger_recompute_profiles(self, partner_ids=None):
        """Rebuild what the ledger knows of the customers (all of them, or
        ``partner_ids``) from their ledger, in a few set-based statements."""
        if partner_ids is not None:
            partner_ids = self.browse(partner_ids).commercial_partner_id.ids
        self.env["pos.customer.preference"].sudo()._recompute(partner_ids)
        return True

    def ledger_pos_card(self, config_id=None):
        """What the till shows of the customer, fetched when the cashier opens
        their ledger card: balance due, last visits, favourite products sold
        at that point of sale, and staff notes. A handful of indexed queries,
        all in the company of the point of sale."""
        self.ensure_one()
        if not self.env.user.has_group(LEDGER_GROUP):
            raise AccessError(self.env._("You are not allowed to see the customer ledger."))
        company = self.env["pos.config"].browse(config_id).company_id if config_id else self.env.company
        # one company only: the balance and the favourites are per company
        partner = self.with_context(allowed_company_ids=company.ids)
        commercial = partner.commercial_partner_id
        currency = commercial.ledger_currency_id
        notes = [
            note for note in dict.fromkeys((partner | commercial).mapped("ledger_preference_note")) if note
        ]
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
