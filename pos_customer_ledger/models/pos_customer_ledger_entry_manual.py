from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from ..tools.access import ledger_right
from ..tools.dates import local_noon
from ..tools.validation import amount_error, check_amount, day_error
from .pos_customer_ledger_entry import MANUAL_KINDS


class PosCustomerLedgerEntry(models.Model):
    """Entries a ledger manager enters by hand: adjustments and opening balances."""

    # one file per concern of the entry model, as the layout asks
    _inherit = "pos.customer.ledger.entry"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _manual_entry_errors(self, kind, partner, amount, date, reason, company, currency=None):
        """Every reason why this adjustment or opening balance cannot be posted."""
        return [
            *self._manual_value_errors(kind, partner, amount, reason, company, currency),
            *self._manual_date_errors(date, company),
        ]

    @api.model
    def _manual_value_errors(self, kind, partner, amount, reason, company, currency=None):
        """The checks of _manual_entry_errors that need no query: an import runs
        them for every row and the date checks once per date."""
        _ = self.env._
        errors = []
        if kind not in MANUAL_KINDS:
            errors.append(_("Only adjustments and opening balances can be entered by hand."))
        if not (reason or "").strip():
            errors.append(_("A reason is required."))
        amount_problem = amount_error(self.env, amount, company.currency_id)
        if amount_problem:
            errors.append(amount_problem)
        elif company.currency_id.is_zero(float(amount)):
            errors.append(_("The amount cannot be zero."))
        if currency and currency != company.currency_id:
            errors.append(
                _(
                    "The amount must be in %(currency)s, the currency of %(company)s.",
                    currency=company.currency_id.name,
                    company=company.name,
                )
            )
        if not partner:
            errors.append(_("A customer is required."))
        elif partner.company_id and partner.company_id != company:
            errors.append(
                _(
                    "Customer %(customer)s belongs to another company (%(company)s).",
                    customer=partner.display_name,
                    company=partner.company_id.name,
                )
            )
        if kind == "adjustment" and not (
            company.ledger_adjustment_journal_id and company.ledger_adjustment_account_id
        ):
            errors.append(
                _(
                    "Set the ledger adjustment journal and counterpart account in Settings > "
                    "Customer Ledger > Ledger adjustments."
                )
            )
        return errors

    @api.model
    def _manual_date_errors(self, date, company):
        _ = self.env._
        errors = []
        date_problem = day_error(self.env, date) if date else _("A date is required.")
        if date_problem:
            errors.append(date_problem)
        else:
            locks = company._get_lock_date_violations(
                fields.Date.to_date(date), fiscalyear=True, sale=True, purchase=False, tax=False, hard=True
            )
            if locks:
                errors.append(
                    _(
                        "%(date)s is in a locked accounting period: %(locks)s.",
                        date=date,
                        locks=company._format_lock_dates(locks),
                    )
                )
            closed_until = (
                self.env["pos.customer.ledger.chain"]
                .sudo()
                .search([("company_id", "=", company.id)])
                .closed_until
            )
            if closed_until and local_noon(company, fields.Date.to_date(date)) < closed_until:
                errors.append(_("%(date)s is in a closed ledger period.", date=date))
        return errors

    @api.model
    @ledger_right("manage")
    def post_manual_entry(self, kind, partner, amount, date, reason, company=None, currency=None):
        """Post an ``adjustment`` or ``opening`` entry entered by a ledger manager.

        ``amount`` is the change in what the customer owes. An adjustment also
        books a journal entry between the customer's receivable and the
        configured counterpart account. Raises a UserError listing every
        problem, and writes nothing, when the input is not valid.
        """
        company = company or self.env.company
        errors = self._manual_entry_errors(kind, partner, amount, date, reason, company, currency)
        if errors:
            raise UserError("\n".join(errors))
        partner = partner.commercial_partner_id
        date = fields.Date.to_date(date)
        amount = check_amount(self.env, amount, company.currency_id)
        with self.env.cr.savepoint():
            move = (
                self._create_adjustment_move(partner, amount, date, reason, company)
                if kind == "adjustment"
                else None
            )
            return self._post(
                [
                    {
                        "company_id": company.id,
                        "partner_id": partner.id,
                        # noon in the company's time zone keeps the entry on the chosen day
                        "date": local_noon(company, date),
                        "kind": kind,
                        "amount_due": amount,
                        "move_id": move.id if move else False,
                        "note": reason.strip(),
                        "user_id": self.env.uid,
                    }
                ]
            )

    @api.model
    def _create_adjustment_move(self, partner, amount, date, reason, company):
        receivable = partner.with_company(company).property_account_receivable_id
        counterpart = company.ledger_adjustment_account_id
        debit, credit = (amount, 0.0) if amount > 0 else (0.0, -amount)
        move = (
            self.env["account.move"]
            .sudo()
            .with_company(company)
            .create(
                {
                    "move_type": "entry",
                    "journal_id": company.ledger_adjustment_journal_id.id,
                    "date": date,
                    "ref": self.env._("Customer ledger adjustment: %(reason)s", reason=reason.strip()),
                    "line_ids": [
                        Command.create(
                            {
                                "account_id": receivable.id,
                                "partner_id": partner.id,
                                "name": reason.strip(),
                                "debit": debit,
                                "credit": credit,
                            }
                        ),
                        Command.create(
                            {
                                "account_id": counterpart.id,
                                "partner_id": partner.id,
                                "name": reason.strip(),
                                "debit": credit,
                                "credit": debit,
                            }
                        ),
                    ],
                }
            )
        )
        move.action_post()
        return move
