from odoo import fields, models

RFM_SEGMENTS = [
    ("champions", "Champions"),
    ("loyal", "Loyal"),
    ("potential_loyalist", "Potential Loyalist"),
    ("new", "New"),
    ("promising", "Promising"),
    ("need_attention", "Need Attention"),
    ("about_to_sleep", "About to Sleep"),
    ("at_risk", "At Risk"),
    ("cant_lose", "Can't Lose"),
    ("hibernating", "Hibernating"),
]


class PosCustomerSegmentHistory(models.Model):
    """A customer's move into an RFM segment, written by the scoring run when
    their segment changes (the first scoring counts as a move)."""

    _name = "pos.customer.segment.history"
    _description = "Customer Segment History"
    _order = "date desc, id desc"
    _log_access = False
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, readonly=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    date = fields.Date(required=True, readonly=True, index=True)
    segment = fields.Selection(RFM_SEGMENTS, required=True, readonly=True, index=True)
    previous_segment = fields.Selection(RFM_SEGMENTS, readonly=True)
    recency_score = fields.Integer(readonly=True, aggregator=None)
    frequency_score = fields.Integer(readonly=True, aggregator=None)
    monetary_score = fields.Integer(readonly=True, aggregator=None)
