from odoo.tests import new_test_user, tagged

from ..tools.dates import company_today
from .common import LedgerTourCommon


@tagged("post_install", "-at_install")
class TestFinanceDashboardTour(LedgerTourCommon):
    """The shop dashboard in a browser, in English and in Chinese."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(["pos_customer_ledger"], ["zh_CN"], overwrite=True)
        cls.auditor = new_test_user(
            cls.env,
            login="dashboard_tour_auditor",
            groups="base.group_user,pos_customer_ledger.group_ledger_auditor",
        )
        cls.tour_product = cls.env["product.product"].create(
            {
                "name": "Dashboard Tour Product",
                "available_in_pos": True,
                "list_price": 25.0,
                "taxes_id": False,
            }
        )

    def test_dashboard_in_english_and_chinese(self):
        self.open_till()
        self.sync_till_order(self.partner_a, [(self.tour_product, 2)])
        self.env["pos.finance.target"].create(
            {"month": company_today(self.env.company), "revenue_target": 500.0}
        )
        for lang, tour in (("en_US", "en"), ("zh_CN", "zh")):
            with self.subTest(lang=lang):
                self.auditor.lang = lang
                self.start_tour(
                    "/odoo/action-pos_customer_ledger.action_pos_finance_dashboard",
                    f"pos_customer_ledger_finance_dashboard_{tour}",
                    login=self.auditor.login,
                )
