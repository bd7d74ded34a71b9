import operator as py_operator

from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape

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

    # ---------------------------------------------------------- anonymisation
    # Privacy: replace a customer's personal data by a pseudonym, keeping the
    # ledger (entries, amounts, hash chain) and the accounting it is tied to.

    ledger_anonymized = fields.Boolean(
        string="Anonymised",
        readonly=True,
        copy=False,
        groups=LEDGER_GROUP,
        help="The customer's personal data was replaced by a pseudonym; the ledger is kept.",
    )
    ledger_anonymized_date = fields.Datetime(
        string="Anonymised On", readonly=True, copy=False, groups=LEDGER_GROUP
    )

    @api.model
    def _ledger_personal_fields(self):
        """Fields emptied on anonymisation, where installed. A company's VAT
        and registry number identify a business, not a person, and stay on
        the records tax law keeps; a natural person's tax number goes."""
        names = [
            "email", "phone", "mobile", "street", "street2", "zip", "city", "state_id",
            "country_id", "website", "comment", "image_1920", "function", "title", "ref",
            "barcode", "company_name", "additional_info", "category_id",
            "partner_latitude", "partner_longitude", "invoice_warn_msg", "picking_warn_msg",
            "ledger_preference_note", "ledger_preference_tag_ids",
        ]  # fmt: skip
        return [name for name in names if name in self._fields]

    def action_ledger_anonymize(self):
        """Anonymise the customers' commercial entities and all their contacts:
        personal data replaced or emptied, contacts archived, chatter and
        attachments deleted, copies on other documents scrubbed. Ledger entries
        and amounts are untouched, so the hash chain still verifies. Customers
        already anonymised are left as they are."""
        _ = self.env._
        if not self.env.user.has_group("pos_customer_ledger.group_ledger_manager"):
            raise AccessError(_("Only ledger managers can anonymise customers."))
        self.check_access("read")  # record rules: only customers of the manager's companies
        Partner = self.sudo().with_context(active_test=False, tracking_disable=True)
        customers = Partner.browse(self.commercial_partner_id.ids).filtered(
            lambda partner: not partner.ledger_anonymized
        )
        if not customers:
            return True
        partners = Partner.search([("id", "child_of", customers.ids)])
        self._ledger_check_anonymizable(partners)
        pseudonyms = {}
        for partner in partners:
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
            for partner in partners
        }
        emails = [partner.email for partner in partners if partner.email]

        natural_persons = partners.filtered(lambda partner: not partner.commercial_partner_id.is_company)

        # bank accounts are archived, never deleted (entries may use them): scrub the number
        for bank in partners.bank_ids:
            bank_vals = {
                "acc_number": _("Anonymised account %(number)s", number=bank.id),
                "acc_holder_name": False,
                "active": False,
            }
            if bank.allow_out_payment:
                bank_vals["allow_out_payment"] = False
            bank.write(bank_vals)
        if "payment_token_ids" in partners._fields:
            partners.payment_token_ids.action_archive()
        cleared = dict.fromkeys(self._ledger_personal_fields(), False)
        now = fields.Datetime.now()
        for partner in partners:
            vals = dict(
                cleared, name=pseudonyms[partner.id], ledger_anonymized=True, ledger_anonymized_date=now
            )
            if partner in natural_persons:
                vals.update(vat=False, company_registry=False)
            partner.write(vals)
        (partners - customers).action_archive()
        self.env["pos.order"].sudo().with_context(tracking_disable=True).search(
            [("partner_id", "in", partners.ids)]
        ).write({"email": False, "mobile": False})
        self._ledger_scrub_mail(partners, pseudonyms, identifiers, emails)
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
    def _ledger_check_anonymizable(self, partners):
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

    @api.model
    def _ledger_scrub_mail(self, partners, pseudonyms, identifiers, emails):
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

        # longest first, so that a name containing another is replaced whole
        replacements = sorted(
            (
                (value, pseudonyms[partner_id])
                for partner_id, values in identifiers.items()
                for value in values
            ),
            key=lambda pair: -len(pair[0]),
        )
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
