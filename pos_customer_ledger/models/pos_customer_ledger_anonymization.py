from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize_all

# Fields emptied on anonymisation, where installed. A company's VAT and
# registry number identify a business, not a person, and stay on the records
# tax law keeps; a natural person's tax number goes.
PERSONAL_FIELDS = [
    "email", "phone", "mobile", "street", "street2", "zip", "city", "state_id",
    "country_id", "website", "comment", "image_1920", "function", "title", "ref",
    "barcode", "company_name", "additional_info", "category_id",
    "partner_latitude", "partner_longitude", "invoice_warn_msg", "picking_warn_msg",
    "ledger_preference_note", "ledger_preference_tag_ids",
]  # fmt: skip


class PosCustomerLedgerAnonymization(models.AbstractModel):
    """Privacy: replace a customer's personal data by a pseudonym, keeping the
    ledger (entries, amounts, hash chain) and the accounting it is tied to.

    Started by ``res.partner.action_ledger_anonymize``, which checks the
    caller's right; bridges extend ``_scrub_mail`` to reach their own copies
    of the person's data.
    """

    _name = "pos.customer.ledger.anonymization"
    _description = "Customer Ledger Anonymisation"

    @api.model
    def _personal_fields(self):
        fields_ = self.env["res.partner"]._fields
        return [name for name in PERSONAL_FIELDS if name in fields_]

    @api.model
    def _anonymize(self, partners):
        """Anonymise the commercial entities of ``partners`` and all their
        contacts: personal data replaced or emptied, contacts archived, chatter
        and attachments deleted, copies on other documents scrubbed. Ledger
        entries and amounts are untouched, so the hash chain still verifies.
        Customers already anonymised are left as they are.

        Only for customers with ledger history in the caller's companies, used
        by no other company, whose contacts the caller may edit."""
        _ = self.env._
        Partner = partners.sudo().with_context(active_test=False, tracking_disable=True)
        customers = Partner.browse(partners.commercial_partner_id.ids)
        contacts = Partner.search([("id", "child_of", customers.ids)])
        # as the caller: the right to edit every contact that is rewritten
        self.env["res.partner"].browse(contacts.ids).check_access("write")
        self._check_anonymizable(customers, contacts)
        customers = customers.filtered(lambda partner: not partner.ledger_anonymized)
        if not customers:
            return True
        contacts = Partner.search([("id", "child_of", customers.ids)])
        pseudonyms = {}
        for partner in contacts:
            number = str(partner.id).zfill(5)
            pseudonyms[partner.id] = (
                _("Anonymised customer %(number)s", number=number)
                if partner in customers
                else _("Anonymised contact %(number)s", number=number)
            )
        identifiers = {
            partner.id: [
                value
                for value in (partner.name, partner.email, partner.phone, partner.mobile)
                if value and len(value) >= 3
            ]
            for partner in contacts
        }
        emails = [partner.email for partner in contacts if partner.email]

        natural_persons = contacts.filtered(lambda partner: not partner.commercial_partner_id.is_company)

        # bank accounts are archived, never deleted (entries may use them): scrub the number
        for bank in contacts.bank_ids:
            bank_vals = {
                "acc_number": _("Anonymised account %(number)s", number=bank.id),
                "acc_holder_name": False,
                "active": False,
            }
            if bank.allow_out_payment:
                bank_vals["allow_out_payment"] = False
            bank.write(bank_vals)
        if "payment_token_ids" in contacts._fields:
            contacts.payment_token_ids.action_archive()
        cleared = dict.fromkeys(self._personal_fields(), False)
        now = fields.Datetime.now()
        for partner in contacts:
            vals = dict(
                cleared, name=pseudonyms[partner.id], ledger_anonymized=True, ledger_anonymized_date=now
            )
            if partner in natural_persons:
                vals.update(vat=False, company_registry=False)
            partner.write(vals)
        (contacts - customers).action_archive()
        self.env["pos.order"].sudo().with_context(tracking_disable=True).search(
            [("partner_id", "in", contacts.ids)]
        ).write({"email": False, "mobile": False})
        self._scrub_mail(contacts, pseudonyms, identifiers, emails)
        self.env["pos.customer.ledger.flag"]._scrub_identities(
            self._identity_replacements(pseudonyms, identifiers)
        )
        for customer in customers:
            customer._message_log(
                body=_(
                    "Customer anonymised by %(user)s on %(date)s (UTC): personal data removed, ledger kept.",
                    user=self.env.user.name,
                    date=fields.Datetime.to_string(now),
                )
            )
        return True

    @api.model
    def _check_anonymizable(self, customers, partners):
        """Refuse, before anything is written, customers without ledger history
        in the caller's companies, contacts another company uses (its ledger or
        the contact's company), and contacts of users or companies."""
        _ = self.env._
        env = self.sudo().with_context(active_test=False).env
        users = env["res.users"].search([("partner_id", "in", partners.ids)])
        if users:
            raise UserError(
                _(
                    "%(partners)s cannot be anonymised: they are the contact of the user(s) %(users)s. "
                    "Remove or anonymise the users first.",
                    partners=", ".join(users.partner_id.mapped("display_name")),
                    users=", ".join(users.mapped("login")),
                )
            )
        companies = env["res.company"].search([("partner_id", "in", partners.ids)])
        if companies:
            raise UserError(
                _(
                    "%(partners)s cannot be anonymised: they are the partner of the company %(companies)s.",
                    partners=", ".join(companies.partner_id.mapped("display_name")),
                    companies=", ".join(companies.mapped("name")),
                )
            )
        allowed = set(self.env.companies.ids)
        history = partners._ledger_history_companies()
        strangers = customers.filtered(lambda customer: not history.get(customer.id, set()) & allowed)
        if strangers:
            raise UserError(
                _(
                    "%(customers)s cannot be anonymised here: they have no customer ledger history in "
                    "your companies. Anonymisation is for customers of the ledger.",
                    customers=", ".join(strangers.mapped("display_name")),
                )
            )
        shared = partners.filtered(
            lambda partner: (
                history.get(partner.id, set()) - allowed
                or (partner.company_id and partner.company_id.id not in allowed)
            )
        )
        if shared:
            raise UserError(
                _(
                    "%(customers)s cannot be anonymised: they are also used by a company you are not "
                    "working in. Ask a manager of every company that uses them.",
                    customers=", ".join(shared.commercial_partner_id.mapped("display_name")),
                )
            )

    @api.model
    def _normalized_emails(self, emails):
        return sorted({address for email in emails for address in email_normalize_all(email)})

    @api.model
    def _identity_replacements(self, pseudonyms, identifiers):
        """(identifier, pseudonym) pairs, longest first, so that a name
        containing another is replaced whole."""
        return sorted(
            (
                (value, pseudonyms[partner_id])
                for partner_id, values in identifiers.items()
                for value in values
            ),
            key=lambda pair: -len(pair[0]),
        )

    @api.model
    def _scrub_mail(self, partners, pseudonyms, identifiers, emails):
        """Delete what the mail machinery holds on the partners themselves and
        replace their identity where other documents' chatter copies it."""
        Message = self.env["mail.message"].sudo()
        on_partners = [("res_model", "=", "res.partner"), ("res_id", "in", partners.ids)]
        own_messages = Message.search([("model", "=", "res.partner"), ("res_id", "in", partners.ids)])
        own_messages |= Message.search(
            [("model", "=", "res.partner.bank"), ("res_id", "in", partners.bank_ids.ids)]
        )
        own_messages.unlink()
        self.env["ir.attachment"].sudo().search(on_partners).unlink()
        self.env["mail.activity"].sudo().search(on_partners).unlink()
        self.env["mail.followers"].sudo().search(
            ["|", "&", *on_partners, ("partner_id", "in", partners.ids)]
        ).unlink()
        outgoing = [("recipient_ids", "in", partners.ids)]
        for email in emails:
            outgoing = ["|", *outgoing, ("email_to", "ilike", email)]
        self.env["mail.mail"].sudo().search(outgoing).unlink()
        # The blacklist would be the last record of the address; with no contact
        # left holding it, nothing here can mail it.
        addresses = self._normalized_emails(emails)
        if addresses:
            self.env["mail.blacklist"].sudo().with_context(active_test=False).search(
                [("email", "in", addresses)]
            ).unlink()

        # many2one trackings keep the partner's name next to its id
        Tracking = self.env["mail.tracking.value"].sudo()
        trackings = Tracking.search(
            [
                ("field_id.relation", "=", "res.partner"),
                "|",
                ("old_value_integer", "in", partners.ids),
                ("new_value_integer", "in", partners.ids),
            ]
        )
        for tracking in trackings:
            vals = {}
            if tracking.old_value_integer in pseudonyms:
                vals["old_value_char"] = pseudonyms[tracking.old_value_integer]
            if tracking.new_value_integer in pseudonyms:
                vals["new_value_char"] = pseudonyms[tracking.new_value_integer]
            tracking.write(vals)

        replacements = self._identity_replacements(pseudonyms, identifiers)
        messages = Message.search(
            ["|", ("author_id", "in", partners.ids), ("partner_ids", "in", partners.ids)]
        )
        for message in messages:
            body, subject = str(message.body or ""), message.subject or ""
            for old, new in replacements:
                body = body.replace(escape(old), escape(new))
                subject = subject.replace(old, new)
            vals = {}
            if body != str(message.body or ""):
                vals["body"] = Markup(body)
            if subject != (message.subject or ""):
                vals["subject"] = subject
            if message.author_id in partners:
                vals.update(email_from=False, reply_to=False)
            if vals:
                message.write(vals)
