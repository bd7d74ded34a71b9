from odoo import fields, models


class PosSession(models.Model):
    _inherit = "pos.session"

    finance_summarized = fields.Boolean(
        readonly=True,
        copy=False,
        groups="base.group_system",
        help="The finance report reads this closed session's figures from their summary (pos.finance.fact).",
    )

    def _validate_session(self, balancing_account=False, amount_to_balance=0, bank_payment_method_diffs=None):
        result = super()._validate_session(balancing_account, amount_to_balance, bank_payment_method_diffs)
        # after the closing: Odoo fills the lines' FIFO or average cost on its way
        if self.state == "closed":
            self.env["pos.finance.fact"].sudo()._summarize(self)
        return result

    def _create_pay_later_receivable_lines(self, data):
        data = super()._create_pay_later_receivable_lines(data)
        # The parent creates the combined lines, then one line per split payment, in order.
        split_payments = list(data["split_receivables_pay_later"])
        lines = data["pay_later_move_lines"][len(data["combine_receivables_pay_later"]) :]
        line_by_order = {}
        settlement_lines = self.env["account.move.line"]
        for payment, line in zip(split_payments, lines, strict=True):
            line_by_order.setdefault(payment.pos_order_id.id, line.id)
            if not payment.pos_order_id.lines and line.balance < 0:
                settlement_lines |= line
        self.env["pos.customer.ledger.entry"].sudo()._link_receivable_lines(line_by_order)
        data["ledger_settlement_lines"] = settlement_lines
        return data

    def _reconcile_account_move_lines(self, data):
        data = super()._reconcile_account_move_lines(data)
        self._ledger_reconcile_settlements(data.get("ledger_settlement_lines", self.env["account.move.line"]))
        return data

    def _ledger_reconcile_settlements(self, settlement_lines):
        """Reconcile the dues settled at the till with the customer's open POS
        receivables, oldest first. Both sides are POS items, so this posts no
        ledger entry: the settlement order's own entry already lowered the dues."""
        Entry = self.env["pos.customer.ledger.entry"].sudo()
        for credit in settlement_lines.filtered(lambda line: line.account_id.reconcile):
            for debit in Entry._open_dues_lines(credit.partner_id, credit.company_id, credit.account_id):
                if credit.reconciled:
                    break
                (credit | debit).with_context(no_cash_basis=True).reconcile()
