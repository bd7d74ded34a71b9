from odoo import api, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    @api.model
    def _ledger_scrub_mail(self, partners, pseudonyms, identifiers, emails):
        """Anonymisation also reaches Email Marketing: the mailing contacts with
        the person's address go, with their list subscriptions and chatter. The
        mailings' traces stay, as counts in the mailings' statistics, without
        the address, the bounce text quoting it, or the IP of the person's clicks."""
        result = super()._ledger_scrub_mail(partners, pseudonyms, identifiers, emails)
        addresses = self._ledger_normalized_emails(emails)
        Contact = self.env["mailing.contact"].sudo().with_context(active_test=False)
        contacts = Contact.search([("email_normalized", "in", addresses)]) if addresses else Contact
        traces = (
            self.env["mailing.trace"]
            .sudo()
            .search(
                [
                    *(["|", ("email", "in", addresses)] if addresses else []),
                    "|",
                    "&",
                    ("model", "=", "res.partner"),
                    ("res_id", "in", partners.ids),
                    "&",
                    ("model", "=", "mailing.contact"),
                    ("res_id", "in", contacts.ids),
                ]
            )
        )
        traces.links_click_ids.write({"ip": False})
        traces.write({"email": False, "failure_reason": False})
        contacts.unlink()
        return result
