import { registry } from "@web/core/registry";

// The shop owner's morning screen: its cards show, a shop can be chosen, and the
// title is in the user's language.
function dashboardSteps(title) {
    return [
        {
            content: "the dashboard opens, titled in the user's language",
            trigger: `.o_pos_finance_dashboard h2:contains(${title})`,
        },
        {
            content: "today's revenue against last week",
            trigger: ".o_pos_finance_dashboard_today tbody tr:first td.fw-bold:not(:empty)",
        },
        {
            content: "the month against its target",
            trigger: ".o_pos_finance_dashboard_month .progress-bar",
        },
        {
            content: "the best sellers",
            trigger: ".o_pos_finance_dashboard_top tbody tr td:contains(Dashboard Tour Product)",
        },
        {
            content: "the margin trend is drawn",
            trigger: ".o_pos_finance_dashboard_margin svg",
        },
        {
            content: "choose the shop",
            trigger: "select.o_pos_finance_dashboard_shop",
            run: "selectByIndex 1",
        },
        {
            content: "the shop's figures",
            trigger: ".o_pos_finance_dashboard_dues .fw-bold",
        },
    ];
}

registry.category("web_tour.tours").add("pos_customer_ledger_finance_dashboard_en", {
    steps: () => dashboardSteps("Shop Dashboard"),
});
registry.category("web_tour.tours").add("pos_customer_ledger_finance_dashboard_zh", {
    steps: () => dashboardSteps("商店仪表板"),
});
