"""Take the Apps page screenshots of pos_customer_ledger from a running Odoo
with the demo database, in headless Chromium (the system's, through Playwright).

    ./dev.sh screenshots            # starts the demo server, runs this, stops it

Writes PNG files into pos_customer_ledger/static/description/ (1440x900):
the ledger list, a customer's Ledger tab, a statement in Chinese, the till's
ledger card and Settle Dues of the biggest debtor. At the till it opens the
register if needed, as a cashier would, and records no sale or payment.
"""

import argparse
import json
import os
import urllib.request
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
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
    # the demo's customers with the most dues: a Chinese one for the statement,
    # the biggest debtor for the till
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
        # the till builds its own asset bundles on its first visit; a register
        # that is not open yet shows its "Open Register" card first
        page.wait_for_function(
            "document.querySelector('.product-screen') || document.body.innerText.includes('Open Register')",
            timeout=600000,
        )
        if not page.locator(".product-screen").count():
            page.get_by_text("Open Register", exact=True).first.click()
        settle(page, ".product-screen")
        # then Odoo asks for the opening cash over the product screen
        opening = page.locator(".modal-footer .btn-primary", has_text="Open Register")
        if opening.count():
            opening.click()
            opening.wait_for(state="detached")
        page.locator(".product-screen .set-partner").click()
        settle(page, ".modal .partner-list")
        page.locator(".modal-header input").fill(person["name"])
        customer = page.locator(".modal .partner-list b", has_text=person["name"]).first
        try:
            customer.wait_for(timeout=5000)
        except PlaywrightTimeoutError:  # not loaded by the till: ask the server
            page.locator(".modal .search-more-button button").click()
        customer.click()
        page.locator(".product-screen .o_ledger_card_button").click()
        settle(page, ".o_ledger_card .o_ledger_card_favourites")
        page.screenshot(path=out / "screenshot_till_ledger_card.png")
        page.locator(".modal-footer .btn-primary", has_text="Close").click()
        page.locator(".o_ledger_card").wait_for(state="detached")
        page.locator(".product-screen .more-btn").click()
        page.locator(".o_ledger_settle_dues_button").click()
        settle(page, ".modal .subtitle")
        page.screenshot(path=out / "screenshot_till_settle_dues.png")
        # discarded: the screenshots record no payment in the demo
        page.locator(".modal-footer .btn", has_text="Discard").click()
        browser.close()
    print(f"Screenshots written to {out}")


if __name__ == "__main__":
    main()
