from odoo import fields, models
from odoo.tools import SQL

from ..tools.dates import local_date_sql
from ..tools.posting_rules import LEDGER_STATES


class PosCustomerLedgerCashierFigure(models.Model):
    """Per cashier, shop and day: the figures the statistical audit rules
    compare (orders, refunds, discounts, sales), for the auditor's pivot.
    The cashier is the employee when pos_hr records one, else the user."""

    _name = "pos.customer.ledger.cashier.figure"
    _description = "Customer Ledger Cashier Figures"
    _auto = False
    _order = "date desc, config_id, cashier"
    _rec_name = "cashier"

    date = fields.Date(readonly=True, help="The company's day of the orders.")
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    config_id = fields.Many2one("pos.config", string="Shop", readonly=True)
    user_id = fields.Many2one("res.users", string="User", readonly=True)
    cashier = fields.Char(readonly=True)
    order_count = fields.Integer(string="Orders", readonly=True)
    refund_count = fields.Integer(string="Orders with Refunds", readonly=True)
    refund_amount = fields.Monetary(string="Refunded", readonly=True, help="Refunded lines, taxes included.")
    discount_count = fields.Integer(string="Discounted Lines", readonly=True)
    discount_amount = fields.Monetary(string="Discounts", readonly=True, help="Before taxes.")
    sales_amount = fields.Monetary(string="Sales", readonly=True, help="Order totals, taxes included.")

    @property
    def _table_query(self):
        has_employee = "employee_id" in self.env["pos.order"]._fields
        cashier = (
            SQL("COALESCE(employee.name, cashier_partner.name)")
            if has_employee
            else SQL("cashier_partner.name")
        )
        employee_join = (
            SQL("LEFT JOIN hr_employee employee ON employee.id = o.employee_id") if has_employee else SQL()
        )
        return SQL(
            """
            SELECT MIN(o.id) AS id, o.company_id, s.config_id, o.user_id, %(cashier)s AS cashier,
                   %(day)s AS date,
                   COUNT(*) AS order_count,
                   COUNT(*) FILTER (WHERE lines.refunded < 0) AS refund_count,
                   -SUM(lines.refunded) AS refund_amount,
                   SUM(lines.discounted) AS discount_count,
                   SUM(lines.discount_amount) AS discount_amount,
                   SUM(o.amount_total / COALESCE(NULLIF(o.currency_rate, 0), 1)) AS sales_amount
              FROM pos_order o
              JOIN pos_session s ON s.id = o.session_id
              JOIN res_company company ON company.id = o.company_id
              JOIN res_partner company_partner ON company_partner.id = company.partner_id
              JOIN res_users cashier_user ON cashier_user.id = o.user_id
              JOIN res_partner cashier_partner ON cashier_partner.id = cashier_user.partner_id
              %(employee_join)s
              CROSS JOIN LATERAL (
                  SELECT COALESCE(SUM(l.price_subtotal_incl) FILTER (WHERE l.qty < 0), 0)
                             / COALESCE(NULLIF(o.currency_rate, 0), 1) AS refunded,
                         COUNT(*) FILTER (WHERE l.discount > 0) AS discounted,
                         COALESCE(SUM(l.price_unit * l.qty * l.discount / 100) FILTER (WHERE l.qty > 0), 0)
                             / COALESCE(NULLIF(o.currency_rate, 0), 1) AS discount_amount
                    FROM pos_order_line l
                   WHERE l.order_id = o.id
              ) lines
             WHERE o.state IN %(states)s
             GROUP BY o.company_id, s.config_id, o.user_id, 5, 6
            """,
            cashier=cashier,
            day=local_date_sql(SQL("o.date_order"), SQL("COALESCE(company_partner.tz, 'UTC')")),
            employee_join=employee_join,
            states=LEDGER_STATES,
        )
