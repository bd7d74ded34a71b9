from odoo import api, fields, models

from ..tools.access import ledger_right
from ..tools.dates import company_today
from ..tools.validation import check_amount, check_day


class LedgerAdjustmentWizard(models.TransientModel):
    _name = "pos.customer.ledger.adjustment.wizard"
    _description = "Customer Ledger Adjustment"

    kind = fields.Selection(
        [("adjustment", "Adjustment"), ("opening", "Opening Balance")],
        string="Type",
        required=True,
        default="adjustment",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    amount = fields.Monetary(
        required=True,
        help="Change in what the customer owes: positive raises their dues, negative lowers them.",
    )
    date = fields.Date(required=True, default=lambda self: company_today(self.env.company))
    reason = fields.Text(required=True)
    missing_configuration = fields.Char(compute="_compute_missing_configuration")

    @api.depends("kind", "company_id")
    def _compute_missing_configuration(self):
        # said as the wizard opens, not after the whole form is filled in; posting still refuses
        for wizard in self:
            company = wizard.company_id
            configured = company.ledger_adjustment_journal_id and company.ledger_adjustment_account_id
            wizard.missing_configuration = (
                wizard.kind == "adjustment"
                and not configured
                and self.env._(
                    "An adjustment books a journal entry, but %(company)s has no ledger adjustment journal "
                    "or counterpart account yet: a manager sets them in Settings > Customer Ledger > "
                    "Ledger adjustments. Opening balances need neither.",
                    company=company.name,
                )
            )

    # The ORM would fail on text in the amount and drop text after the date:
    # refuse both with the ledger's own message.
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_input(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_input(vals)
        return super().write(vals)

    def _check_input(self, vals):
        if "amount" in vals:
            currency = (
                self.env["res.currency"].browse(vals.get("currency_id"))
                or self.currency_id[:1]
                or self.env.company.currency_id
            )
            check_amount(self.env, vals["amount"] or 0.0, currency)
        if vals.get("date"):
            check_day(self.env, vals["date"])

    @ledger_right("manage")
    def action_post(self):
        self.ensure_one()
        entry = self.env["pos.customer.ledger.entry"].post_manual_entry(
            self.kind,
            self.partner_id,
            self.amount,
            self.date,
            self.reason,
            company=self.company_id,
            currency=self.currency_id,
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": entry._name,
            "res_id": entry.id,
            "view_mode": "form",
        }
