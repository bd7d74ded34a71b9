import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { formatFloat } from "@web/core/utils/numbers";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/**
 * The shop owner's morning screen: today against the same weekday last week,
 * the month against its target, the best sellers, the margin of the last
 * days, cash differences, the customers' dues and new customers; the figures
 * come from pos.finance.dashboard.get_dashboard_data.
 */
export class FinanceDashboard extends Component {
    static template = "pos_customer_ledger.FinanceDashboard";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null, configId: false });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("pos.finance.dashboard", "get_dashboard_data", [], {
            config_id: this.state.configId || false,
        });
    }

    async onShopChange(ev) {
        this.state.configId = parseInt(ev.target.value, 10) || false;
        await this.load();
    }

    money(value) {
        const { symbol, position, digits } = this.state.data.currency;
        const amount = formatFloat(value || 0, { digits: [16, digits] });
        return position === "before" ? `${symbol} ${amount}` : `${amount} ${symbol}`;
    }

    percent(value) {
        return `${formatFloat(value || 0, { digits: [16, 1] })} %`;
    }

    change(today, lastWeek) {
        if (!lastWeek) {
            return "";
        }
        const ratio = (100 * (today - lastWeek)) / Math.abs(lastWeek);
        return `${ratio >= 0 ? "+" : ""}${formatFloat(ratio, { digits: [16, 0] })} %`;
    }

    get comparisons() {
        const { today, last_week: week } = this.state.data;
        return [
            { label: _t("Revenue"), today: this.money(today.revenue), week: this.money(week.revenue), change: this.change(today.revenue, week.revenue) },
            { label: _t("Orders"), today: today.orders, week: week.orders, change: this.change(today.orders, week.orders) },
            { label: _t("Customers"), today: today.customers, week: week.customers, change: this.change(today.customers, week.customers) },
            { label: _t("Average Basket"), today: this.money(today.basket), week: this.money(week.basket), change: this.change(today.basket, week.basket) },
        ];
    }

    get achievedWidth() {
        return `width: ${Math.min(this.state.data.month.achieved || 0, 100)}%`;
    }

    /** The points of the margin trend's polyline, in a 300 x 60 box. */
    get trendPoints() {
        const days = this.state.data.margin_trend;
        const values = days.map((day) => day.margin_percent);
        const top = Math.max(...values, 1);
        const bottom = Math.min(...values, 0);
        const step = 300 / Math.max(days.length - 1, 1);
        return values
            .map((value, index) => `${(index * step).toFixed(1)},${(58 - ((value - bottom) * 56) / (top - bottom || 1)).toFixed(1)}`)
            .join(" ");
    }

    get lastMargin() {
        const days = this.state.data.margin_trend.filter((day) => day.revenue);
        return days.length ? this.percent(days[days.length - 1].margin_percent) : "";
    }

    get dueBuckets() {
        const buckets = this.state.data.dues.buckets;
        return [
            { label: _t("Not Due"), amount: this.money(buckets.not_due) },
            { label: _t("1-30 Days"), amount: this.money(buckets.days_1_30) },
            { label: _t("31-60 Days"), amount: this.money(buckets.days_31_60) },
            { label: _t("61-90 Days"), amount: this.money(buckets.days_61_90) },
            { label: _t("Over 90 Days"), amount: this.money(buckets.days_over_90) },
        ];
    }

    openDailyFigures() {
        this.action.doAction("pos_customer_ledger.action_pos_finance_report_daily");
    }
}

registry.category("actions").add("pos_customer_ledger.finance_dashboard", FinanceDashboard);
