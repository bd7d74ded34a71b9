from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..report.pos_customer_ledger_aging import AGING_BUCKETS
from ..tools.access import ledger_right
from ..tools.dates import company_today, day_range, local_datetime

STATEMENT_TYPES = [("activity", "Activity"), ("outstanding", "Outstanding")]
ENTRY_FIELDS = [
    "date",
    "name",
    "kind",
    "pos_order_id",
    "config_id",
    "user_id",
    "amount_total",
    "amount_due",
    "partner_id",
]


class LedgerStatementWizard(models.TransientModel):
    """The statement of some customers over a period: the document its PDF and
    XLSX reports print, and the one place that gathers their figures."""

    _name = "pos.customer.ledger.statement.wizard"
    _description = "Customer Statement Export"

    # a statement is its company's and its author's: see the security rules
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, default=lambda self: self.env.company
    )

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    statement_type = fields.Selection(
        STATEMENT_TYPES,
        required=True,
        default="activity",
        help="Activity: opening balance, every entry of the period, closing balance. "
        "Outstanding: what is still due at the end of the period, with its age.",
    )
    date_from = fields.Date(
        string="From", required=True, default=lambda self: company_today(self.env.company).replace(day=1)
    )
    date_to = fields.Date(string="To", required=True, default=lambda self: company_today(self.env.company))

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        active_ids = self.env.context.get("active_ids")
        if "partner_ids" in fields_list and active_ids and not res.get("partner_ids"):
            model = self.env.context.get("active_model")
            if model == "pos.customer.ledger.entry":
                partners = self.env[model].browse(active_ids).partner_id
            elif model == "res.partner":
                partners = self.env[model].browse(active_ids).commercial_partner_id
            else:
                partners = self.env["res.partner"]
            res["partner_ids"] = [fields.Command.set(partners.ids)]
        return res

    @api.model
    def _check_input(self, partners, date_from, date_to, statement_type):
        """Refuse what no statement can be made of, before anything is written."""
        _ = self.env._
        if not date_from or not date_to:
            raise UserError(_("A customer statement needs a start date and an end date."))
        date_from, date_to = fields.Date.to_date(date_from), fields.Date.to_date(date_to)
        if date_from > date_to:
            raise UserError(
                _("The statement period is empty: %(start)s is after %(end)s.", start=date_from, end=date_to)
            )
        if not partners:
            raise UserError(_("Select at least one customer for the statement."))
        if statement_type not in dict(STATEMENT_TYPES):
            raise UserError(_("Unknown statement type %(type)s.", type=statement_type))

    @api.model
    def _statement_of(self, partners, date_from, date_to, statement_type):
        """A statement of ``partners`` in the current company, checked."""
        self._check_input(partners, date_from, date_to, statement_type)
        return self.create(
            {
                "partner_ids": [fields.Command.set(partners.commercial_partner_id.ids)],
                "date_from": date_from,
                "date_to": date_to,
                "statement_type": statement_type,
            }
        )

    def _get_statement_data(self):
        """The statement's figures, for every output format.

        ``activity``: opening balance, the period's entries, closing balance.
        ``outstanding``: what is still due at the end of the period, entry by
        entry with its due date and age (oldest dues settled first), and the
        aging buckets. Days are the company's; each line's ``date`` is the
        entry's time in the company's time zone.
        """
        self.ensure_one()
        self._check_input(self.partner_ids, self.date_from, self.date_to, self.statement_type)
        company = self.company_id
        partners = self.env["res.partner"].search([("id", "in", self.partner_ids.commercial_partner_id.ids)])
        if self.statement_type == "outstanding":
            statements = self._outstanding_statements(partners)
        else:
            statements = self._activity_statements(partners)
        return {
            "company": company,
            "currency": company.currency_id,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "statement_type": self.statement_type,
            "statements": statements,
        }

    def _line(self, entry):
        return {
            "date": local_datetime(self.company_id, entry.date),
            "name": entry.name,
            "kind": entry.kind,
            "order": entry.pos_order_id.name or "",
            "point_of_sale": entry.config_id.name or "",
            "cashier": entry.user_id.name or "",
        }

    def _activity_statements(self, partners):
        company = self.company_id
        start, end = day_range(company, self.date_from, self.date_to)
        Entry = self.env["pos.customer.ledger.entry"]
        base_domain = [("partner_id", "in", partners.ids), ("company_id", "=", company.id)]
        opening = {
            partner.id: amount
            for partner, amount in Entry._read_group(
                [*base_domain, ("date", "<", start)], ["partner_id"], ["amount_due:sum"]
            )
        }
        entries = Entry.search_fetch(
            [*base_domain, ("date", ">=", start), ("date", "<", end)],
            ENTRY_FIELDS,
            order="date, sequence_number",
        ).sudo()  # rules applied by the search; sudo only reads the linked names
        by_partner = {partner.id: [] for partner in partners}
        for entry in entries:
            by_partner[entry.partner_id.id].append(entry)
        statements = []
        for partner in partners:
            balance = opening_balance = opening.get(partner.id, 0.0)
            lines = []
            for entry in by_partner[partner.id]:
                # rounded as the currency: a running sum of floats drifts
                balance = company.currency_id.round(balance + entry.amount_due)
                lines.append(
                    {
                        **self._line(entry),
                        "total": entry.amount,
                        "dues": entry.amount_due,
                        "balance": balance,
                    }
                )
            statements.append(
                {
                    "partner": partner,
                    "opening": opening_balance,
                    "lines": lines,
                    "dues": company.currency_id.round(balance - opening_balance),
                    "closing": balance,
                    "credit": max(-balance, 0.0),
                }
            )
        return statements

    def _outstanding_statements(self, partners):
        date = self.date_to
        Aging = self.env["pos.customer.ledger.aging"].with_company(self.company_id)
        Aging = Aging.with_context(allowed_company_ids=self.company_id.ids)
        self.env.flush_all()
        items = Aging.env.execute_query_dict(
            SQL(
                "SELECT * FROM (%s) items WHERE entry_id IS NOT NULL AND open_amount > 0 "
                "ORDER BY due_date, entry_id",
                Aging._open_items_sql(date, partners.ids),
            )
        )
        entries = self.env["pos.customer.ledger.entry"].sudo().browse([item["entry_id"] for item in items])
        entries.fetch(ENTRY_FIELDS)
        aging = {row["partner_id"]: row for row in Aging.get_aged_dues(date, partners.ids)}
        lines = {partner.id: [] for partner in partners}
        for item, entry in zip(items, entries, strict=True):
            lines[item["partner_id"]].append(
                {
                    **self._line(entry),
                    "due_date": item["due_date"],
                    "days_overdue": max((date - item["due_date"]).days, 0),
                    "amount": float(item["amount"]),
                    "open_amount": float(item["open_amount"]),
                }
            )
        currency = self.company_id.currency_id
        statements = []
        for partner in partners:
            buckets = aging.get(partner.id, {})
            statements.append(
                {
                    "partner": partner,
                    "lines": lines[partner.id],
                    "amount": currency.round(sum(line["amount"] for line in lines[partner.id])),
                    "open_amount": currency.round(sum(line["open_amount"] for line in lines[partner.id])),
                    "buckets": [(name, float(buckets.get(name) or 0.0)) for name in AGING_BUCKETS],
                    "closing": float(buckets.get("balance") or 0.0),
                    "credit": float(buckets.get("credit") or 0.0),
                }
            )
        return statements

    @ledger_right("audit")
    def action_export_xlsx(self):
        self.ensure_one()
        return self.env.ref("pos_customer_ledger.action_report_customer_statement_xlsx").report_action(
            self, config=False
        )

    @ledger_right("audit")
    def action_print_pdf(self):
        self.ensure_one()
        action = self.env.ref("pos_customer_ledger.action_report_customer_statement").report_action(self)
        # the statement is printed: the wizard's job is done
        action["close_on_report_download"] = True
        return action
