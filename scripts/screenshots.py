"""Take the Apps page screenshots of pos_customer_ledger from a running Odoo
with the demo database, in headless Chromium (the system's, through Playwright).

    ./dev.sh screenshots            # starts the demo server, runs this, stops it

Writes PNG files into pos_customer_ledger/static/description/ (1440x900):
the ledger list, a customer's Ledger tab, a statement in Chinese, the till's
ledger card and Settle Dues.
"""

import argparse
import json
import os
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

SIZE = {"width": 1440, "height": 900}


class Odoo:
    """JSON-RPC to the server, as the demo's admin."""

    def __init__(self, url, db, login, password):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self.call("/web/session/authenticate", db=db, login=login, password=password)

    def call(self, path, **params):
        request = urllib.request.Request(
            self.url + path,
            json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode(),
            {"Content-Type": "application/json"},
        )
        with self.opener.open(request) as response:
            reply = json.load(response)
        if reply.get("error"):
            raise RuntimeError(reply["error"]["data"]["message"])
        return reply["result"]

    def execute(self, model, method, *args, **kwargs):
        return self.call("/web/dataset/call_kw", model=model, method=method, args=list(args), kwargs=kwargs)


def settle(page, selector, timeout=180000):
    """Wait until ``selector`` is drawn (the first visit builds the asset bundles), then a moment more."""
    page.wait_for_selector(selector, timeout=timeout)
    page.wait_for_timeout(1500)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument(
        "--out", default=str(Path(__file__).parent.parent / "pos_customer_ledger/static/description")
    )
    args = parser.parse_args()
    out = Path(args.out)
    odoo = Odoo(args.url, args.db, args.login, args.password)
    # the demo's customers with the most dues: a Chinese one for the statement, any for the till
    debtors = odoo.execute(
        "res.partner",
        "search_read",
        [("ledger_balance", ">", 0)],
        fields=["name", "lang", "ledger_balance"],
        order="id",
    )
    debtors.sort(key=lambda partner: -partner["ledger_balance"])
    if not debtors:
        raise SystemExit("No customer owes anything in this database: is it the demo database?")
    chinese = next((partner for partner in debtors if partner["lang"] == "zh_CN"), debtors[0])
    person = debtors[0]
    # the till of the demo's sales
    [entry] = odoo.execute(
        "pos.customer.ledger.entry",
        "search_read",
        [("config_id", "!=", False)],
        fields=["config_id"],
        limit=1,
    )
    config_id = entry["config_id"][0]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, headless=True)
        context = browser.new_context(viewport=SIZE)
        page = context.new_page()
        page.goto(f"{args.url}/web/login?db={args.db}")
        page.fill("input[name=login]", args.login)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        settle(page, ".o_main_navbar")

        page.goto(f"{args.url}/odoo/action-pos_customer_ledger.action_pos_customer_ledger_entry")
        settle(page, ".o_list_view")
        page.screenshot(path=out / "screenshot_ledger_list.png")

        page.goto(f"{args.url}/odoo/res.partner/{chinese['id']}")
        settle(page, ".o_form_view .o_notebook")
        page.locator(".o_notebook .nav-link", has_text="Ledger").first.click()
        page.wait_for_timeout(1500)
        page.screenshot(path=out / "screenshot_customer_tab.png")

        page.goto(f"{args.url}/report/html/pos_customer_ledger.partner_outstanding_statement/{chinese['id']}")
        settle(page, ".page")
        page.screenshot(path=out / "screenshot_statement_zh.png")

        page.goto(f"{args.url}/pos/ui?config_id={config_id}")
        # the till builds its own asset bundles on its first visit
        page.wait_for_function(
            "document.querySelector('.product-screen') || document.body.innerText.includes('Open Register')",
            timeout=600000,
        )
        for _step in range(2):  # the register's card, then the opening cash dialog
            button = page.get_by_text("Open Register", exact=True)
            if page.locator(".product-screen").count() or not button.count():
                break
            button.last.click()
            page.wait_for_timeout(3000)
        settle(page, ".product-screen")
        page.locator(".set-partner, button:has-text('Customer')").first.click()
        settle(page, ".partner-list, .modal input")
        page.locator(".modal input").first.fill(person["name"])
        page.wait_for_timeout(2000)
        page.locator(
            ".partner-list .partner-line, .modal .partner-info", has_text=person["name"]
        ).first.click()
        page.wait_for_timeout(2000)
        page.locator(".o_ledger_card_button").first.click()
        settle(page, ".modal")
        page.screenshot(path=out / "screenshot_till_ledger_card.png")
        page.keyboard.press("Escape")
        page.wait_for_timeout(1000)
        page.locator(".o_ledger_settle_dues_button").first.click()
        page.wait_for_timeout(2500)
        page.screenshot(path=out / "screenshot_settle_dues.png")
        browser.close()
    print(f"Screenshots written to {out}")


if __name__ == "__main__":
    main()
