from odoo import Command, api, fields, models

from ..tools.access import ledger_right


class LedgerPromotionWizard(models.TransientModel):
    """Choose a promotion and two periods, see how it did, export it.

    The promotion is a Reference field whose models come from the report at
    runtime: a pricelist always, a loyalty program only when pos_loyalty is
    installed, so the addon does not depend on pos_loyalty.
    """

    _name = "pos.customer.ledger.promotion.wizard"
    _inherit = ["pos.customer.ledger.download.mixin"]
    _description = "Promotion Effectiveness"

    currency_id = fields.Many2one(related="company_id.currency_id")
    promotion_ref = fields.Reference(
        selection="_selection_promotion_ref",
        string="Promotion",
        help="A pricelist, or a loyalty or discount program when POS loyalty is installed.",
    )
    date_from = fields.Date(
        string="Promotion Start",
        compute="_compute_promotion_dates",
        store=True,
        readonly=False,
        help="First day of the promotion; a program's own start date by default.",
    )
    date_to = fields.Date(
        string="Promotion End",
        compute="_compute_promotion_dates",
        store=True,
        readonly=False,
        help="Last day of the promotion; a program's own end date by default.",
    )
    baseline_date_from = fields.Date(
        string="Comparison Start",
        compute="_compute_baseline_dates",
        store=True,
        readonly=False,
        help="By default the period of the same length just before the promotion.",
    )
    baseline_date_to = fields.Date(
        string="Comparison End",
        compute="_compute_baseline_dates",
        store=True,
        readonly=False,
    )
    metric_ids = fields.One2many("pos.customer.ledger.promotion.wizard.metric", "wizard_id", readonly=True)
    segment_ids = fields.One2many("pos.customer.ledger.promotion.wizard.segment", "wizard_id", readonly=True)
    notes = fields.Text(readonly=True)
    setup_hints = fields.Text(compute="_compute_setup_hints")

    @api.depends("company_id")
    def _compute_setup_hints(self):
        hints = "\n".join(self.env["pos.customer.ledger.promotion"]._setup_hints())
        for wizard in self:
            wizard.setup_hints = hints

    @api.model
    def _selection_promotion_ref(self):
        return self.env["pos.customer.ledger.promotion"]._promotion_models()

    @api.depends("promotion_ref")
    def _compute_promotion_dates(self):
        for wizard in self:
            date_from, date_to = self.env["pos.customer.ledger.promotion"]._default_dates(
                wizard.promotion_ref
            )
            # a pricelist has no dates: keep what the user typed
            wizard.date_from = date_from or wizard.date_from
            wizard.date_to = date_to or wizard.date_to

    @api.depends("date_from", "date_to")
    def _compute_baseline_dates(self):
        for wizard in self:
            date_from, date_to = self.env["pos.customer.ledger.promotion"]._default_baseline(
                wizard.date_from, wizard.date_to
            )
            wizard.baseline_date_from = date_from or wizard.baseline_date_from
            wizard.baseline_date_to = date_to or wizard.baseline_date_to

    def _report_args(self):
        return (
            self.promotion_ref,
            self.date_from,
            self.date_to,
            self.baseline_date_from,
            self.baseline_date_to,
        )

    def _report_data(self):
        """The figures the wizard shows and the XLSX report writes, produced once."""
        self.ensure_one()
        return self.env["pos.customer.ledger.promotion"].get_promotion_effectiveness(*self._report_args())

    def _render_xlsx(self):
        return self.env["ir.actions.report"]._render_xlsx(
            "pos_customer_ledger.action_report_ledger_promotion_xlsx", self.ids, None
        )[0]

    @ledger_right("audit")
    def action_compute(self):
        """Show the figures in the wizard."""
        self.ensure_one()
        data = self._report_data()
        self.write(
            {
                "metric_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "sequence": sequence,
                            "key": metric["key"],
                            "name": metric["label"],
                            "promotion_value": metric["promotion"],
                            "baseline_value": metric["baseline"],
                            "uplift": metric["uplift"] or 0.0,
                            "has_uplift": metric["uplift"] is not None,
                            "per_day": metric["per_day"],
                        }
                    )
                    for sequence, metric in enumerate(data["metrics"])
                ],
                "segment_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "sequence": sequence,
                            "segment": segment["segment"],
                            "name": segment["label"],
                            "promotion_orders": segment["promotion_orders"],
                            "promotion_revenue": segment["promotion_revenue"],
                            "promotion_customers": segment["promotion_customers"],
                            "new_customers": segment["new_customers"],
                            "baseline_orders": segment["baseline_orders"],
                            "baseline_revenue": segment["baseline_revenue"],
                            "revenue_uplift": segment["revenue_uplift"] or 0.0,
                            "has_uplift": segment["revenue_uplift"] is not None,
                        }
                    )
                    for sequence, segment in enumerate(data["segments"])
                ],
                "notes": "\n".join(data["notes"]),
                "date_from": data["date_from"],
                "date_to": data["date_to"],
                "baseline_date_from": data["baseline_date_from"],
                "baseline_date_to": data["baseline_date_to"],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Promotion Effectiveness"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    @ledger_right("audit")
    def action_export_xlsx(self):
        self.ensure_one()
        return self._download(
            self._render_xlsx(),
            self.env._(
                "promotion_effectiveness_%(start)s_%(end)s.xlsx", start=self.date_from, end=self.date_to
            ),
        )
