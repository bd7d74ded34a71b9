from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.pos_customer_ledger.tools.access import ledger_right


class LedgerSegmentExportWizard(models.TransientModel):
    _inherit = "pos.customer.segment.export.wizard"

    @ledger_right("audit")
    def action_create_mailing_list(self):
        """A mailing list of the segment's customers who have an email, as of
        now: customers already in Email Marketing keep their contact (and
        their opt-outs), the others get one."""
        self.ensure_one()
        _ = self.env._
        partners = self.env["res.partner"].search([*self._domain(), ("email_normalized", "!=", False)])
        if not partners:
            raise UserError(_("No customer of this segment has an email address."))
        label = dict(self._fields["segment"]._description_selection(self.env))[self.segment]
        mailing_list = self.env["mailing.list"].create(
            {
                "name": _(
                    "%(segment)s customers (%(date)s)", segment=label, date=fields.Date.context_today(self)
                )
            }
        )
        Contact = self.env["mailing.contact"]
        existing = {
            contact.email_normalized: contact
            for contact in Contact.search([("email_normalized", "in", partners.mapped("email_normalized"))])
        }
        new_contacts = Contact.create(
            [
                {
                    "name": partner.name,
                    "email": partner.email,
                    "country_id": partner.country_id.id,
                }
                for partner in {p.email_normalized: p for p in partners}.values()
                if partner.email_normalized not in existing
            ]
        )
        mailing_list.contact_ids = new_contacts | Contact.concat(*existing.values())
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.list",
            "res_id": mailing_list.id,
            "view_mode": "form",
            "target": "current",
        }
