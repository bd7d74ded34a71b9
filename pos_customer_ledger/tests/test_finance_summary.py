"""Issue 16: closed sessions' finance figures are summed once (pos.finance.fact),
and the report reads the same figures from the summary as from the lines, also
after the products, customers and orders it groups by change."""

from odoo.tests import tagged

from .common import AUDITOR_GROUPS, CASHIER_GROUPS, LedgerTestCommon
from .test_finance_report import MEASURES

GROUPINGS = [
    [],
    ["date:day"],
    ["hour"],
    ["weekday"],
    ["config_id"],
    ["user_id"],
    ["cashier"],
    ["partner_id"],
    ["segment"],
    ["categ_id"],
    ["payment_method_id"],
    ["cash_reason"],
]


@tagged("post_install", "-at_install")
class TestFinanceSummary(LedgerTestCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.auditor = cls.company_user("summary_auditor", AUDITOR_GROUPS)
        cls.Fact = cls.env["pos.finance.fact"]
        cls.drinks = cls.env["product.category"].create({"name": "Summary Drinks"})
        cls.wine = cls.create_product(
            "Summary Wine", cls.drinks, 22.0, standard_price=8.0, tax_ids=cls.taxes["tax10"].ids
        )

    def figures(self, groupby):
        Report = self.env["pos.finance.report"].with_user(self.auditor)
        rows = Report.read_group(
            [("session_id", "=", self.pos_session.id)],
            MEASURES,
            groupby,
            lazy=False,
            orderby=",".join(groupby),
        )
        return [
            {
                key: round(value, 6) if isinstance(value, float) else value
                for key, value in row.items()
                if key not in ("__domain", "__count")
            }
            for row in rows
        ]

    def all_figures(self):
        return {tuple(groupby): self.figures(groupby) for groupby in GROUPINGS}

    def summarized(self):
        self.pos_session.invalidate_recordset(["finance_summarized"])
        return self.pos_session.finance_summarized

    def sell_and_close(self):
        split = self.sync(
            self.customer,
            lines=[(self.product, 2), (self.wine, 1)],
            payments=[(self.cash_pm1, 10.0), (self.bank_pm1, 33.40)],
        )
        other = self.sync(self.other_customer, payments=[(self.bank_pm1, 10.70)])
        self.sync_refund(other, self.bank_pm1)
        self.sync(self.customer, qty=2, payments=[(self.pay_later_pm, 21.40)])
        self.pos_session.try_cash_in_out("out", 5.0, "Change run", {"translatedType": "out"})
        self.close_session()
        self.assertEqual(self.pos_session.state, "closed")
        return split

    def test_closing_sums_the_session_and_the_figures_stay(self):
        """Closing the session sums it; the report gives the same figures, by
        every dimension, from the summary as from the lines; summing again adds
        nothing, and the cron sums what was sent back to the lines."""
        self.sell_and_close()
        self.assertTrue(self.summarized(), "the closing sums the session")
        rows = self.Fact.search_count([("session_id", "=", self.pos_session.id)])
        self.assertGreater(rows, 0)
        summed = self.all_figures()
        self.assertEqual(summed[()][0]["order_count"], 4)

        self.Fact._unsummarize(self.pos_session)
        self.assertFalse(self.summarized())
        self.assertEqual(self.Fact.search_count([("session_id", "=", self.pos_session.id)]), 0)
        self.assertEqual(self.all_figures(), summed, "the lines give what the summary gave")

        self.env.ref("pos_customer_ledger.ir_cron_summarize_finance").method_direct_trigger()
        self.assertTrue(self.summarized(), "the cron sums the closed session")
        self.assertEqual(self.Fact.search_count([("session_id", "=", self.pos_session.id)]), rows)
        self.Fact._summarize(self.pos_session)
        self.assertEqual(self.Fact.search_count([("session_id", "=", self.pos_session.id)]), rows)
        self.assertEqual(self.all_figures(), summed)

    def test_open_session_is_read_live(self):
        self.sync(self.customer, lines=[(self.wine, 1)], payments=[(self.cash_pm1, 22.0)])
        self.assertFalse(self.Fact._summarize(self.pos_session), "an open session is not summed")
        self.assertFalse(self.summarized())
        self.assertAlmostEqual(self.figures([])[0]["revenue_total"], 22.0, places=2)

    def test_changes_after_closing_are_followed(self):
        """A product moved to another category, a customer who joins a company,
        another time zone for the company, an order given to another customer:
        the report follows at once, and again once the cron summed the session."""
        split = self.sell_and_close()
        self.assertTrue(self.summarized())
        cron = self.env.ref("pos_customer_ledger.ir_cron_summarize_finance")

        def revenue_by(groupby):
            return {
                row[groupby][0] if isinstance(row[groupby], tuple) else row[groupby]: row["revenue_untaxed"]
                for row in self.figures([groupby])
            }

        food = self.env["product.category"].create({"name": "Summary Food"})
        self.wine.product_tmpl_id.categ_id = food
        self.assertFalse(self.summarized())
        self.assertEqual(revenue_by("categ_id").get(food.id), 20.0)
        self.assertNotIn(self.drinks.id, revenue_by("categ_id"))
        cron.method_direct_trigger()
        self.assertTrue(self.summarized())
        self.assertEqual(revenue_by("categ_id").get(food.id), 20.0)

        company = self.env["res.partner"].create({"name": "Summary Customer Company", "is_company": True})
        before = revenue_by("partner_id")[self.customer.id]
        self.customer.parent_id = company
        self.assertFalse(self.summarized())
        self.assertEqual(revenue_by("partner_id").get(company.id), before)
        self.assertNotIn(self.customer.id, revenue_by("partner_id"))
        cron.method_direct_trigger()
        self.assertEqual(revenue_by("partner_id").get(company.id), before)

        hours = set(revenue_by("hour"))
        tz = self.company.partner_id.tz or "UTC"
        self.company.partner_id.tz = "Asia/Kathmandu" if tz != "Asia/Kathmandu" else "UTC"
        self.assertFalse(self.summarized())
        self.assertNotEqual(set(revenue_by("hour")), hours, "the hours of the company's new zone")
        cron.method_direct_trigger()
        self.assertNotEqual(set(revenue_by("hour")), hours)

        # a cashier's change, who may not see the summary's flag
        cashier = self.company_user("summary_cashier", CASHIER_GROUPS)
        split.with_user(cashier).partner_id = self.other_customer
        self.assertFalse(self.summarized())
        by_partner = revenue_by("partner_id")
        self.assertEqual(
            by_partner.get(self.other_customer.id), 40.0, "the 20.00 and 20.00 of the split order"
        )
        cron.method_direct_trigger()
        self.assertEqual(revenue_by("partner_id"), by_partner)

    def test_merged_customers_are_followed(self):
        """An order never posted to the ledger (from before the addon, not yet
        backfilled) leaves its customer free to merge: Odoo's merge moves the
        order in SQL, and the summed session follows the survivor."""
        self.sell_and_close()
        duplicate, survivor = self.env["res.partner"].create(
            [{"name": "Summary Dup"}, {"name": "Summary Keep"}]
        )
        order = self.env["pos.order"].create(
            {
                "session_id": self.pos_session.id,
                "partner_id": duplicate.id,
                "state": "done",
                "amount_tax": 0.0,
                "amount_total": 10.0,
                "amount_paid": 10.0,
                "amount_return": 0.0,
                "lines": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.product.id,
                            "qty": 1,
                            "price_unit": 10.0,
                            "price_subtotal": 10.0,
                            "price_subtotal_incl": 10.0,
                        },
                    )
                ],
            }
        )
        self.assertFalse(self.entries_of(order))
        self.assertFalse(self.summarized(), "a line added to a summed session sends it back to its lines")
        self.env.ref("pos_customer_ledger.ir_cron_summarize_finance").method_direct_trigger()
        self.assertTrue(self.summarized())
        self.env["base.partner.merge.automatic.wizard"]._merge((duplicate | survivor).ids, survivor)
        self.assertFalse(self.summarized())
        partners = {
            row["partner_id"][0]: row["revenue_untaxed"]
            for row in self.figures(["partner_id"])
            if row["partner_id"]
        }
        self.assertEqual(partners.get(survivor.id), 10.0)
        self.assertNotIn(duplicate.id, partners)
