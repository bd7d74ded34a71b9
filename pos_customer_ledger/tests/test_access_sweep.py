"""Issue 11, class 1: every entry point of the ledger checks who is calling.

The sweeps read the registry, so a method or wizard added later is covered
without touching this file: a public method without ``@ledger_right`` (and
not exempted below) fails, a right given to the wrong users fails through
RPC, and a transient model without its company and owner rules fails.
"""

import inspect
import json

from odoo import Command, fields
from odoo.tests import HttpCase, get_db_name, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.pos_customer_ledger.tools.access import RIGHTS, _refusal

from .common import CASHIER_GROUPS, company_user

ADDON_MODULES = "odoo.addons.pos_customer_ledger"  # the addon and its bridges
ADDONS = ("pos_customer_ledger", "pos_customer_ledger_mass_mailing", "pos_customer_ledger_mis_builder")

# Overrides of Odoo's own public methods: they keep Odoo's checks (access
# rights and rules of the model), as the rest of Odoo calls them.
EXEMPT = {
    (
        "account.partial.reconcile",
        "create",
    ): "Odoo's reconciliation; the ledger posts the payments as superuser",
    (
        "account.partial.reconcile",
        "unlink",
    ): "Odoo's unreconciliation; the ledger posts the reversals as superuser",
    ("pos.order", "action_pos_order_paid"): "Odoo's payment of a till order; the ledger posts as superuser",
    ("pos.order", "init"): "database set-up at install and update, never called through RPC",
    ("pos.customer.ledger.entry", "create"): "refuses every creation, after Odoo's access check",
    ("pos.customer.ledger.entry", "write"): "Odoo's access check, then refuses every hashed field",
    ("pos.customer.ledger.closing", "create"): "ORM create: managers only by access rights; open months only",
    ("pos.customer.ledger.closing", "write"): "ORM write: managers only by access rights",
    ("pos.customer.ledger.backfill.wizard", "default_get"): "ORM defaults of a managers-only wizard",
    (
        "pos.customer.ledger.adjustment.wizard",
        "create",
    ): "ORM create of a managers-only wizard, input checked",
    ("pos.customer.ledger.adjustment.wizard", "write"): "ORM write of a managers-only wizard, input checked",
    ("pos.customer.ledger.statement.wizard", "default_get"): "ORM defaults of an auditors-only wizard",
    ("res.company", "create"): "Odoo's company creation; gives the new company the audit rules",
    ("pos.customer.ledger.audit.rule", "write"): "ORM write: managers only by access rights; the code stays",
    ("pos.customer.ledger.flag", "init"): "database set-up at install and update, never called through RPC",
    ("pos.customer.ledger.flag", "create"): "refuses every creation but the audit's (superuser)",
    (
        "pos.customer.ledger.flag",
        "write",
    ): "ORM write: auditors only by access rights; findings and reviews refused",
    (
        "pos.finance.report",
        "search_fetch",
    ): "ORM read: auditors only by access rights, with large-report settings",
    ("pos.finance.target", "create"): "ORM create: managers only by access rights; a month is its first day",
    ("pos.finance.target", "write"): "ORM write: managers only by access rights; a month is its first day",
    ("pos.order", "write"): "Odoo's write; a summed session's change sends it back to the finance lines",
    (
        "pos.order.line",
        "create",
    ): "Odoo's create; a summed session's change sends it back to the finance lines",
    ("pos.order.line", "write"): "Odoo's write; a summed session's change sends it back to the finance lines",
    (
        "pos.order.line",
        "unlink",
    ): "Odoo's unlink; a summed session's change sends it back to the finance lines",
    ("pos.payment", "create"): "Odoo's create; a summed session's change sends it back to the finance lines",
    ("pos.payment", "write"): "Odoo's write; a summed session's change sends it back to the finance lines",
    ("pos.payment", "unlink"): "Odoo's unlink; a summed session's change sends it back to the finance lines",
    (
        "product.template",
        "write",
    ): "Odoo's write; a new category sends the product's sessions back to their lines",
    ("res.partner", "write"): "Odoo's write; a new company or time zone sends sessions back to their lines",
}

# kind of user -> the ledger rights they hold (tools/access.py RIGHTS)
ALLOWED = {
    "portal": set(),
    "internal": set(),
    "cashier": {"view", "settle"},
    "auditor": {"view", "settle", "audit"},
    "manager": {"view", "settle", "audit", "manage"},
    "other_company_manager": {"view", "settle", "audit", "manage"},
}


def ledger_public_methods(env):
    """{(model, method): [functions]} of every public function the addons
    define on any model, most derived definition first."""
    found = {}
    for model_name in sorted(env.registry):
        for cls in type(env[model_name]).__mro__:
            if not cls.__module__.startswith(ADDON_MODULES):
                continue
            for name, value in vars(cls).items():
                if not name.startswith("_") and inspect.isfunction(value):
                    found.setdefault((model_name, name), []).append(value)
    return found


def export_url(action):
    """The URL the browser fetches for an export button's action."""
    if action["type"] == "ir.actions.report":
        ids = ",".join(str(record_id) for record_id in action["context"]["active_ids"])
        return f"/report/{action['report_type']}/{action['report_name']}/{ids}"
    return action["url"]


def ledger_transient_models(env):
    return sorted(
        name for name in env.registry if env[name]._transient and env[name]._original_module in ADDONS
    )


@tagged("post_install", "-at_install")
class TestAccessSweep(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.ref("base.main_company")
        cls.company_b = cls.env["res.company"].create({"name": "Ledger Sweep Other Company"})

        def user(login, groups, company=cls.company_a):
            return company_user(cls.env, login, groups, company)

        cls.users = {
            "portal": user("sweep_portal", "base.group_portal"),
            "internal": user("sweep_internal", "base.group_user"),
            "cashier": user("sweep_cashier", CASHIER_GROUPS),
            "auditor": user("sweep_auditor", "base.group_user,pos_customer_ledger.group_ledger_auditor"),
            "manager": user("sweep_manager", "base.group_user,pos_customer_ledger.group_ledger_manager"),
            "other_company_manager": user(
                "sweep_other_manager",
                "base.group_user,pos_customer_ledger.group_ledger_manager",
                cls.company_b,
            ),
        }
        cls.second_auditor = user(
            "sweep_auditor_2", "base.group_user,pos_customer_ledger.group_ledger_auditor"
        )
        cls.other_auditor = user(
            "sweep_other_auditor", "base.group_user,pos_customer_ledger.group_ledger_auditor", cls.company_b
        )

    # ------------------------------------------------------------ helpers

    def login(self, user):
        self.authenticate(user.login, user.login)

    def rpc(self, model, method, args=(), kwargs=None):
        """Call through /web/dataset/call_kw as the logged-in user:
        (result, error) where error is the exception's name and message."""
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs or {}},
        }
        with mute_logger("odoo.http"):
            response = self.url_open(
                f"/web/dataset/call_kw/{model}/{method}",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
            )
        if response.status_code != 200:
            return None, (f"HTTP {response.status_code}", "")
        body = response.json()
        if "error" in body:
            data = body["error"]["data"]
            return None, (data["name"], data["message"])
        return body["result"], None

    def rpc_ok(self, model, method, args=(), kwargs=None):
        result, error = self.rpc(model, method, args, kwargs)
        self.assertIsNone(error, f"{model}.{method}")
        return result

    # -------------------------------------------------------- the sweeps

    def test_every_public_method_is_guarded(self):
        """Each public method of the addons carries @ledger_right, or is an
        override of Odoo's listed in EXEMPT with its reason."""
        methods = ledger_public_methods(self.env)
        self.assertGreater(len(methods), 30, "the sweep finds the addon's methods")
        unguarded = sorted(
            f"{model}.{name}"
            for (model, name), functions in methods.items()
            if (model, name) not in EXEMPT and any(not hasattr(f, "_ledger_right") for f in functions)
        )
        self.assertFalse(unguarded, "public methods without @ledger_right(...)")
        self.assertFalse(set(EXEMPT) - set(methods), "exemptions of methods that no longer exist")
        rights = {
            f._ledger_right
            for functions in methods.values()
            for f in functions
            if hasattr(f, "_ledger_right")
        }
        self.assertEqual(rights, set(RIGHTS), "every right is used")

    def test_every_public_method_through_rpc_as_every_user(self):
        """Every public method called with no arguments through JSON-RPC
        (record methods on an empty recordset): AccessError, with the
        helper's message, exactly for the users the table refuses. A method
        without a right is refused to portal and internal users at least."""
        methods = sorted(
            (model, name, functions[0])
            for (model, name), functions in ledger_public_methods(self.env).items()
            if (model, name) not in EXEMPT
        )
        mismatches = []
        for kind, user in self.users.items():
            self.login(user)
            refusals = {right: _refusal(self.env(user=user), right) for right in RIGHTS}
            for model, name, function in methods:
                right = getattr(function, "_ledger_right", None)
                args = [] if getattr(function, "_api", None) == "model" else [[]]
                _result, error = self.rpc(model, name, args)
                # refused by the ledger's check; another AccessError (Odoo's own
                # access rights on what the method touches) is not the ledger's refusal
                refused = (
                    error is not None
                    and error[0] == "odoo.exceptions.AccessError"
                    and (right is None or error[1] == refusals[right])
                )
                expected = not ALLOWED[kind] if right is None else right not in ALLOWED[kind]
                if refused != expected:
                    mismatches.append(f"{kind}: {model}.{name} ({right}): {error}")
        self.assertFalse(mismatches, "calls not refused as the table says")

    def test_portal_user_through_jsonrpc_execute_kw(self):
        portal = self.users["portal"]
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [
                    get_db_name(),
                    portal.id,
                    portal.login,
                    "pos.customer.ledger.aging",
                    "get_aged_dues",
                    [],
                ],
            },
        }
        with mute_logger("odoo.http"):
            body = self.url_open(
                "/jsonrpc", data=json.dumps(payload), headers={"Content-Type": "application/json"}
            ).json()
        self.assertEqual(body.get("error", {}).get("data", {}).get("name"), "odoo.exceptions.AccessError")

    def test_every_transient_model_has_company_and_owner_rules(self):
        """Wizards, report snapshots and their rows: each is in the rules that
        keep it to its company and to the user who made it."""
        models = ledger_transient_models(self.env)
        self.assertIn("pos.customer.ledger.aging", models)
        missing = []
        for model in models:
            self.assertIn("company_id", self.env[model]._fields, model)
            domains = self.env["ir.rule"].search([("model_id.model", "=", model), ("global", "=", True)])
            domains = domains.mapped("domain_force")
            for expected in ("[('company_id', 'in', company_ids)]", "[('create_uid', '=', user.id)]"):
                if expected not in domains:
                    missing.append(f"{model}: {expected}")
        self.assertFalse(missing, "transient models without their rules")

    # ------------------------------------------------- company isolation

    def test_finance_stays_in_its_company(self):
        """Company A's finance figures, targets and dashboard, through RPC: A's auditor
        sees A's; B's auditor sees none of them and gets B's dashboard; a portal user gets nothing."""
        today = fields.Date.to_string(fields.Date.today())
        self.env["pos.finance.target"].create(
            {"company_id": self.company_a.id, "month": today, "revenue_target": 100.0}
        )
        self.login(self.users["auditor"])
        figures = self.rpc_ok(
            "pos.finance.report", "search_read", [[]], {"fields": ["company_id"], "limit": 5}
        )
        self.assertTrue(figures, "the demo data has POS figures in company A")
        self.assertEqual({row["company_id"][0] for row in figures}, {self.company_a.id})
        self.assertTrue(self.rpc_ok("pos.finance.target", "search_read", [[]], {"fields": ["month"]}))
        self.login(self.other_auditor)
        self.assertEqual(
            self.rpc_ok("pos.finance.report", "search_read", [[("company_id", "=", self.company_a.id)]]), []
        )
        self.assertEqual(self.rpc_ok("pos.finance.target", "search_read", [[]]), [])
        self.assertEqual(
            self.rpc_ok("pos.finance.dashboard", "get_dashboard_data")["company"], self.company_b.name
        )
        self.login(self.users["portal"])
        for model, method in (
            ("pos.finance.report", "search_read"),
            ("pos.finance.target", "search_read"),
            ("pos.finance.dashboard", "get_dashboard_data"),
        ):
            _result, error = self.rpc(model, method, [[]] if method == "search_read" else [])
            self.assertEqual(error and error[0], "odoo.exceptions.AccessError", f"{model}.{method}")

    def test_other_company_sees_none_of_company_a(self):
        """Aged dues, their snapshot rows, the accounting comparison and the
        generated files of company A stay in company A, and with the user who
        generated them."""
        auditor = self.users["auditor"]
        # a customer of A whose ledger disagrees with the journals
        entry = self.env["pos.customer.ledger.entry"].search(
            [("company_id", "=", self.company_a.id), ("amount_due", ">", 0)], limit=1
        )
        self.assertTrue(entry, "the demo data has dues in company A")
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE pos_customer_ledger_entry SET amount_due = amount_due + 1 WHERE id = %s", entry.id)
        )
        self.env.invalidate_all()

        # what A's auditor gets, and generates
        self.login(auditor)
        dues = self.rpc_ok("pos.customer.ledger.aging", "get_aged_dues")
        self.assertTrue(dues)
        self.assertEqual({row["company_id"] for row in dues}, {self.company_a.id})
        differences = self.rpc_ok("pos.customer.ledger.entry", "reconcile_with_accounting")
        self.assertIn(entry.partner_id.id, [row["partner_id"] for row in differences])
        aging_wizard = self.rpc_ok("pos.customer.ledger.aging.wizard", "create", [{}])
        self.rpc_ok("pos.customer.ledger.aging.wizard", "action_view", [[aging_wizard]])
        rows = self.rpc_ok("pos.customer.ledger.aging", "search_read", [[("wizard_id", "=", aging_wizard)]])
        self.assertTrue(rows)
        pricelist = self.env["product.pricelist"].create({"name": "Sweep Promotion"})
        today = fields.Date.to_string(fields.Date.today())
        wizards = {
            "pos.customer.ledger.aging.wizard": aging_wizard,
            "pos.customer.ledger.statement.wizard": self.rpc_ok(
                "pos.customer.ledger.statement.wizard",
                "create",
                [{"partner_ids": [Command.set(entry.partner_id.ids)], "date_from": "2000-01-01"}],
            ),
            "pos.customer.segment.export.wizard": self.rpc_ok(
                "pos.customer.segment.export.wizard", "create", [{}]
            ),
            "pos.customer.ledger.promotion.wizard": self.rpc_ok(
                "pos.customer.ledger.promotion.wizard",
                "create",
                [
                    {
                        "promotion_ref": f"product.pricelist,{pricelist.id}",
                        "date_from": today,
                        "date_to": today,
                    }
                ],
            ),
        }
        urls = {
            model: export_url(self.rpc_ok(model, "action_export_xlsx", [[wizard_id]]))
            for model, wizard_id in wizards.items()
        }
        self.rpc_ok(
            "pos.customer.ledger.promotion.wizard",
            "action_compute",
            [[wizards["pos.customer.ledger.promotion.wizard"]]],
        )
        metrics = self.env["pos.customer.ledger.promotion.wizard.metric"].search(
            [("wizard_id", "=", wizards["pos.customer.ledger.promotion.wizard"])]
        )
        self.assertTrue(metrics)
        for url in urls.values():
            response = self.url_open(url)
            self.assertEqual(response.status_code, 200, url)
            self.assertTrue(response.content.startswith(b"PK"), url)

        # another company's auditor and manager, and another auditor of A
        for user in (self.other_auditor, self.users["other_company_manager"], self.second_auditor):
            self.login(user)
            if user != self.second_auditor:
                dues = self.rpc_ok("pos.customer.ledger.aging", "get_aged_dues")
                self.assertNotIn(self.company_a.id, {row["company_id"] for row in dues}, user.login)
                differences = self.rpc_ok("pos.customer.ledger.entry", "reconcile_with_accounting")
                self.assertNotIn(self.company_a.id, {row["company_id"] for row in differences}, user.login)
                # nor by asking for company A
                _result, error = self.rpc(
                    "pos.customer.ledger.aging",
                    "get_aged_dues",
                    kwargs={"context": {"allowed_company_ids": self.company_a.ids}},
                )
                self.assertEqual(error and error[0], "odoo.exceptions.AccessError", user.login)
            self.assertFalse(
                self.rpc_ok(
                    "pos.customer.ledger.aging", "search_read", [[("id", "in", [r["id"] for r in rows])]]
                ),
                user.login,
            )
            self.assertFalse(
                self.rpc_ok(
                    "pos.customer.ledger.promotion.wizard.metric",
                    "search_read",
                    [[("id", "in", metrics.ids)]],
                ),
                user.login,
            )
            for model, wizard_id in wizards.items():
                self.assertFalse(
                    self.rpc_ok(model, "search", [[("id", "=", wizard_id)]]), f"{user.login} {model}"
                )
                _result, error = self.rpc(model, "read", [[wizard_id], ["company_id"]])
                self.assertEqual(error and error[0], "odoo.exceptions.AccessError", f"{user.login} {model}")
                with mute_logger("odoo.http"):
                    response = self.url_open(urls[model])
                # a file download is not found (404), a report is refused (403)
                self.assertIn(response.status_code, (403, 404), f"{user.login} {urls[model]}")
                self.assertFalse(response.content.startswith(b"PK"))

    def test_snapshot_follows_the_companies_in_use(self):
        """A user of two companies sees a company's aged-dues rows only while
        working in it."""
        auditor = self.users["auditor"]
        auditor.company_ids = [Command.link(self.company_b.id)]
        Wizard = self.env["pos.customer.ledger.aging.wizard"].with_user(auditor)
        wizard = Wizard.with_context(allowed_company_ids=self.company_a.ids).create({})
        wizard.action_view()
        Aging = self.env["pos.customer.ledger.aging"].with_user(auditor)
        domain = [("wizard_id", "=", wizard.id)]
        self.assertTrue(Aging.with_context(allowed_company_ids=self.company_a.ids).search(domain))
        self.assertFalse(Aging.with_context(allowed_company_ids=self.company_b.ids).search(domain))

    def test_closing_export_stays_in_its_company(self):
        """An auditor exports a closed month of their company; another
        company's auditor can neither download it nor verify, and so
        overwrite the recorded check of, company A's chain."""
        self.login(self.users["manager"])
        # last month, unless the demo data closed it already
        closing = self.rpc_ok(
            "pos.customer.ledger.closing", "search", [[("state", "=", "closed")]], {"limit": 1}
        )
        if closing:
            [closing] = closing
        else:
            closing = self.rpc_ok("pos.customer.ledger.closing", "create", [{}])
            self.rpc_ok("pos.customer.ledger.closing", "action_close", [[closing]])
        self.login(self.users["auditor"])
        url = self.rpc_ok("pos.customer.ledger.closing", "action_export_xlsx", [[closing]])["url"]
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"PK"))

        chain = self.env["pos.customer.ledger.chain"].search([("company_id", "=", self.company_a.id)])
        checked_on = chain.verified_date
        self.login(self.other_auditor)
        self.assertEqual(self.url_open(url).status_code, 404)
        _result, error = self.rpc(
            "pos.customer.ledger.entry", "verify_chain", kwargs={"company": self.company_a.id}
        )
        self.assertEqual(error and error[0], "odoo.exceptions.AccessError")
        chain.invalidate_recordset()
        self.assertEqual(chain.verified_date, checked_on)
