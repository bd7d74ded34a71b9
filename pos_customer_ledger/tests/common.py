import shutil
import subprocess
import unicodedata
from datetime import timedelta
from unittest import SkipTest
from urllib.parse import unquote

from odoo import Command, fields
from odoo.http import Application
from odoo.modules import get_manifest, get_modules
from odoo.tests import new_test_user
from odoo.tools import SQL

from odoo.addons.point_of_sale.tests.common import TestPoSCommon
from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon

from ..tools.dates import company_today

CASHIER_GROUPS = "base.group_user,point_of_sale.group_pos_user"
AUDITOR_GROUPS = "base.group_user,pos_customer_ledger.group_ledger_auditor"
MANAGER_GROUPS = "base.group_user,pos_customer_ledger.group_ledger_manager"


def company_user(env, login, groups, company, **values):
    """A user of ``company`` only, in ``groups`` (comma-separated xml ids)."""
    return new_test_user(
        env,
        login=login,
        groups=groups,
        company_id=company.id,
        company_ids=[Command.set(company.ids)],
        **values,
    )


def pdf_text(case, content):
    """The text of a PDF as poppler's pdftotext reads it (installed by the setup).
    wkhtmltopdf names a glyph shared by a character and its Kangxi radical (日
    and ⽇) by the radical: NFKC gives the character back, but ⼾ becomes the
    traditional 戶 where the statement printed 户."""
    if not shutil.which("pdftotext"):
        case.skipTest("pdftotext (poppler-utils) is not installed: the PDF's text cannot be read")
    text = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout
    text = unicodedata.normalize("NFKC", text.decode().replace("\u2f3e", "户"))
    return " ".join(text.split())


class BrowserDownloadsMixin:
    """For browser tours: the files the server sent to the browser, and real PDFs."""

    def capture_downloads(self):
        """Keep the body of every response the browser saves as a file."""
        self.downloads = []
        serve = Application.__call__

        def record(app, environ, start_response):
            response = {}

            def start(status, headers, exc_info=None):
                response["headers"] = dict(headers)
                return start_response(status, headers, exc_info)

            chunks = serve(app, environ, start)
            try:
                body = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
            disposition = unquote(response["headers"].get("Content-Disposition", ""))
            if disposition.startswith("attachment"):
                self.downloads.append((disposition, response["headers"].get("Content-Type"), body))
            return [body]

        self.patch(Application, "__call__", record)

    def download(self, name, mimetype):
        """The one file downloaded with ``name`` in its file name."""
        files = [(mime, body) for disposition, mime, body in self.downloads if name in disposition]
        self.assertEqual(len(files), 1, f"one download named {name}: {[d[0] for d in self.downloads]}")
        [(served_mimetype, body)] = files
        self.assertEqual(served_mimetype.split(";")[0], mimetype)
        return body

    def render_real_pdfs(self):
        """Odoo prints HTML instead of PDF under tests; print real PDFs here,
        with no CSS from the test server, whose cursor the printing request holds."""
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() in ("install", "broken"):
            self.skipTest("wkhtmltopdf is not usable: the browser would show the HTML report")
        Report = type(self.env["ir.actions.report"])
        prepare = Report._pre_render_qweb_pdf

        def forced(report, *args, **kwargs):
            return prepare(report.with_context(force_report_rendering=True), *args, **kwargs)

        self.patch(Report, "_pre_render_qweb_pdf", forced)
        self.patch(Report, "_get_report_url", lambda report, layout=None: "http://127.0.0.1:9")

    def pdf_text(self, body):
        self.assertTrue(body.startswith(b"%PDF"), body[:200])
        return pdf_text(self, body)


class FollowPreferencesMixin:
    def follow_preferences(self):
        """Run the scheduled action that brings the customers' preferences up to the ledger."""
        self.env.ref("pos_customer_ledger.ir_cron_follow_ledger_preferences").method_direct_trigger()


class LedgerTestCommon(FollowPreferencesMixin, TestPoSCommon):
    """The basic POS of TestPoSCommon: cash, bank and pay-later methods; customers."""

    @classmethod
    def company_user(cls, login, groups, **values):
        """A user of the test company only, in ``groups`` (comma-separated xml ids)."""
        return company_user(cls.env, login, groups, cls.company, **values)

    @classmethod
    def set_adjustment_journal(cls):
        """Book the company's ledger adjustments in the miscellaneous journal, against expenses."""
        cls.company.write(
            {
                "ledger_adjustment_journal_id": cls.company_data["default_journal_misc"].id,
                "ledger_adjustment_account_id": cls.company_data["default_account_expense"].id,
            }
        )

    @classmethod
    def payment_term(cls, days, **values):
        """Payment terms of ``days`` days after the sale (or as ``values`` say)."""
        line = {"value": "percent", "value_amount": 100.0, "nb_days": days}
        return cls.env["account.payment.term"].create(
            {"name": f"{days} Days (ledger test)", "line_ids": [Command.create({**line, **values})]}
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.basic_config
        cls.Entry = cls.env["pos.customer.ledger.entry"]
        cls.customer_contact = cls.env["res.partner"].create(
            {"name": "Buyer", "parent_id": cls.customer.id, "type": "contact"}
        )
        # 10.00 + 7% tax = 10.70 per unit
        cls.product = cls.create_product(
            "Ledger Product", cls.categ_basic, 10.0, tax_ids=cls.taxes["tax7"].ids
        )

    def setUp(self):
        super().setUp()
        self.open_new_session()

    def sync(self, customer, qty=1, payments=None, days_ago=0, is_invoiced=False, lines=None, pricelist=None):
        """Sync one order from the till and return it; with ``pricelist``, sold at its prices."""
        session_pricelist = self.pricelist
        self.pricelist = pricelist or session_pricelist
        try:
            data = self.create_ui_order_data(
                lines or [(self.product, qty)], customer=customer, payments=payments, is_invoiced=is_invoiced
            )
        finally:
            self.pricelist = session_pricelist
        data["pricelist_id"] = (pricelist or session_pricelist).id
        if days_ago:
            data["date_order"] = fields.Datetime.to_string(fields.Datetime.now() - timedelta(days=days_ago))
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def sync_refund(self, order, payment_method):
        line = order.lines[0]
        data = self.create_ui_order_data(
            [{"product": line.product_id, "quantity": -line.qty, "refunded_orderline_id": line.id}],
            customer=order.partner_id,
            payments=[(payment_method, order.amount_total * -1)],
        )
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def render_report_action(self, action):
        """The file a report action gives the user, as its report route renders it."""
        self.assertEqual(action["type"], "ir.actions.report")
        Report = self.env["ir.actions.report"]
        docids = action["context"].get("active_ids")
        if action["report_type"] == "xlsx":
            return Report._render_xlsx(action["report_name"], docids, data=action["data"])[0]
        return Report._render_qweb_pdf(action["report_name"], docids, data=action["data"])[0]

    def entries_of(self, orders):
        return self.Entry.search([("pos_order_id", "in", orders.ids)])

    def close_session(self):
        cash_total = sum(
            self.pos_session.order_ids.payment_ids.filtered(
                lambda p: p.payment_method_id.is_cash_count
            ).mapped("amount")
        )
        self.pos_session.post_closing_cash_details(cash_total)
        return self.pos_session.close_session_from_ui()


class LedgerTourCommon(FollowPreferencesMixin, TestPointOfSaleHttpCommon):
    """Browser tours of the till (tagged pos_ledger_tour): the POS test setup of
    point_of_sale, a customer-account payment method, and orders synced as the
    till sends them."""

    # the till's own order payload, as LedgerTestCommon builds it
    create_ui_order_data = TestPoSCommon.create_ui_order_data
    create_random_uid = TestPoSCommon.create_random_uid

    @classmethod
    def setUpClass(cls):
        if not cls.http_port():
            raise SkipTest(
                "Browser tours need Odoo's HTTP server: run pytest with --odoo-http (./dev.sh test does)"
            )
        # Read the addons' manifests now (they are cached): the browser's first
        # parallel requests would each parse them, and CPython 3.11 < 3.11.8 can
        # fail parsing in concurrent threads ("AST constructor recursion depth mismatch").
        for module in get_modules():
            get_manifest(module)
        super().setUpClass()
        cls.customer_account = cls.env["pos.payment.method"].create(
            {"name": "Customer Account", "split_transactions": True}
        )
        cls.main_pos_config.payment_method_ids = [Command.link(cls.customer_account.id)]

    def open_till(self):
        """Open a session of the shop as its cashier."""
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.config = self.main_pos_config
        self.pos_session = self.config.current_session_id
        self.pricelist = self.config.pricelist_id
        self.currency = self.config.currency_id
        return self.pos_session

    def sync_till_order(self, customer, lines, payment_method=None, days_ago=0):
        """Sync one order paid in full with ``payment_method`` (cash by default)."""
        payment_method = payment_method or self.config.payment_method_ids.filtered("is_cash_count")[:1]
        data = self.create_ui_order_data(lines, customer=customer)
        if days_ago:
            data["date_order"] = fields.Datetime.to_string(fields.Datetime.now() - timedelta(days=days_ago))
        data["payment_ids"] = [
            Command.create(
                {
                    "amount": data["amount_total"],
                    "name": data["date_order"],
                    "payment_method_id": payment_method.id,
                }
            )
        ]
        data["amount_paid"] = data["amount_total"]
        result = self.env["pos.order"].with_user(self.pos_user).sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])


class AuditTestCommon(LedgerTestCommon):
    """The audit tests' users (auditor, manager, cashier) and how they run rules."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["pos.customer.ledger.audit.rule"]
        cls.Flag = cls.env["pos.customer.ledger.flag"]
        cls.auditor = cls.company_user("audit_auditor", AUDITOR_GROUPS)
        cls.manager = cls.company_user("audit_manager", MANAGER_GROUPS)
        cls.cashier = cls.company_user("audit_cashier", CASHIER_GROUPS)

    def setUp(self):
        super().setUp()
        self.today = company_today(self.company)

    def rule(self, code):
        return self.Rule.search([("company_id", "=", self.company.id), ("code", "=", code)])

    def audit(self, *codes, user=None):
        """Run ``codes`` over today as the auditor (or ``user``), in the test company."""
        Rule = self.Rule.with_user(user or self.auditor).with_company(self.company)
        Rule = Rule.with_context(allowed_company_ids=self.company.ids)
        return Rule.run_audit(self.today, self.today, list(codes) or None)

    def set_rule(self, code, **values):
        self.rule(code).with_user(self.manager).write(values)

    def sync_as(self, cashier, lines=None, refund_of=None):
        """An order the till of ``cashier`` syncs: a sale of one product, or a refund of ``refund_of``."""
        if refund_of:
            line = refund_of.lines[0]
            lines = [{"product": line.product_id, "quantity": -line.qty, "refunded_orderline_id": line.id}]
        data = self.create_ui_order_data(lines or [(self.product, 1)], customer=self.customer)
        data["user_id"] = cashier.id
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def drop_entries(self, orders):
        """The ledger loses the entries of ``orders`` (an omission the audit must find)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL("DELETE FROM pos_customer_ledger_entry WHERE pos_order_id IN %s", tuple(orders.ids))
        )
        self.env.invalidate_all()
