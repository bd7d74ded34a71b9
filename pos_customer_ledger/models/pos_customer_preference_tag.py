from odoo import fields, models


class PosCustomerPreferenceTag(models.Model):
    """A customer preference staff note down, e.g. a size, an allergy or "prefers no bag"."""

    _name = "pos.customer.preference.tag"
    _description = "Customer Preference Tag"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    color = fields.Integer()
    active = fields.Boolean(default=True)

    _sql_constraints = [("name_uniq", "unique (name)", "This preference tag already exists.")]
