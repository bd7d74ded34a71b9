"""Demand forecasting of one daily sales series, with Nixtla's statsforecast.

A series is classified by its average inter-demand interval (ADI) and the
squared coefficient of variation of its non-zero demands (CV²), with the
Syntetos-Boylan cut-offs; the class chooses the method. Accuracy is measured
by a rolling-origin backtest as MASE (mean absolute error over the forecast
horizons, scaled by the in-sample error of the weekly seasonal naive).
"""

import numpy as np

SEASON = 7  # days: the week
ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
# fewer demand days than this, or fewer days since the first sale: a new product
NEW_MIN_DEMANDS = 4
NEW_MIN_DAYS = 4 * SEASON
# no demand for this many average intervals (at least a month): fading out
FADING_INTERVALS = 3
FADING_MIN_DAYS = 28
BACKTEST_HORIZON = 28  # days, as in the M5 competition
BACKTEST_WINDOWS = 3
TSB_ALPHA_DEMAND = 0.1
TSB_ALPHA_PROBABILITY = 0.1
# a customer with this many visit days in the rhythm window is a regular
REGULAR_MIN_VISITS = 3
# a regular this many usual intervals past the last visit has lapsed
LAPSED_INTERVALS = 2


def since_first_sale(history):
    """The series from its first demand on: days before a product sold are no
    demand of zero, and would pull every forecast and error toward zero."""
    y = np.asarray(history, dtype=float)
    sold = np.flatnonzero(y > 0)
    return y[sold[0] :] if len(sold) else y[:0]


def classify(history):
    """(class, ADI, CV²) of a daily series, from its first sale on: class is
    'smooth', 'erratic', 'intermittent', 'lumpy' or 'new'."""
    demands = history[history > 0]
    if not len(demands):
        return "new", 0.0, 0.0
    active = len(history) - int(np.argmax(history > 0))
    adi = active / len(demands)
    cv2 = float((demands.std() / demands.mean()) ** 2)
    if len(demands) < NEW_MIN_DEMANDS or active < NEW_MIN_DAYS:
        return "new", adi, cv2
    if adi < ADI_CUTOFF:
        return ("smooth" if cv2 < CV2_CUTOFF else "erratic"), adi, cv2
    return ("intermittent" if cv2 < CV2_CUTOFF else "lumpy"), adi, cv2


def is_fading(history, adi):
    """No demand for several average intervals: a product leaving the range."""
    quiet = len(history) - 1 - int(np.flatnonzero(history > 0)[-1])
    return quiet >= max(FADING_INTERVALS * adi, FADING_MIN_DAYS)


def choose_method(history):
    """(method, class, ADI, CV²): exponential smoothing with weekly
    seasonality for smooth and erratic series, Croston-SBA for intermittent
    and lumpy ones, TSB when such a product is fading out, and the mean daily
    demand since the first sale for a new product."""
    demand_class, adi, cv2 = classify(history)
    if demand_class == "new":
        return "new_average", demand_class, adi, cv2
    if demand_class in ("smooth", "erratic"):
        return "seasonal_es", demand_class, adi, cv2
    if is_fading(history, adi):
        return "tsb", demand_class, adi, cv2
    return "croston_sba", demand_class, adi, cv2


def forecast(method, history, horizon):
    """Daily forecast of ``method`` for the ``horizon`` days after ``history``."""
    # statsforecast takes seconds to import: not with every Odoo process, only with a forecast
    from statsforecast.models import (  # noqa: PLC0415  pylint: disable=import-outside-toplevel
        TSB,
        CrostonSBA,
        SeasonalExponentialSmoothingOptimized,
        SeasonalNaive,
    )

    y = since_first_sale(history)
    if not len(y):
        return np.zeros(horizon)
    if method == "new_average":
        return np.full(horizon, y.mean())
    if method == "seasonal_naive":
        if len(y) < SEASON:
            return np.full(horizon, y.mean() if len(y) else 0.0)
        model = SeasonalNaive(season_length=SEASON)
    elif method == "seasonal_es":
        if len(y) < 2 * SEASON:
            return forecast("seasonal_naive", y, horizon)
        model = SeasonalExponentialSmoothingOptimized(season_length=SEASON)
    elif method == "croston_sba":
        model = CrostonSBA()
    elif method == "tsb":
        model = TSB(alpha_d=TSB_ALPHA_DEMAND, alpha_p=TSB_ALPHA_PROBABILITY)
    else:
        raise ValueError(f"Unknown forecasting method {method!r}")
    return np.maximum(model.forecast(y=y, h=horizon)["mean"], 0.0)


def regulars_due(intervals, days_since, per_visit, horizon):
    """(timed, rate) of a product's regular customers, from an origin day:
    ``timed`` the daily quantity they are expected to buy over ``horizon``
    days when each comes back at the usual interval after the last visit (an
    overdue one on the first day, a lapsed one not at all); ``rate`` their
    average daily quantity, the share of them a statistical forecast holds.
    Per customer: the usual interval in days, the days since the last visit
    and the quantity of the product bought per visit."""
    intervals = np.maximum(np.asarray(intervals, dtype=float), 1.0)
    days_since = np.asarray(days_since, dtype=float)
    per_visit = np.asarray(per_visit, dtype=float)
    timed = np.zeros(horizon)
    active = days_since <= LAPSED_INTERVALS * intervals
    for interval, first, qty in zip(
        intervals[active], np.maximum(intervals - days_since, 0.0)[active], per_visit[active], strict=True
    ):
        days = np.arange(first, horizon, interval).astype(int)
        np.add.at(timed, days, qty)
    return timed, float((per_visit / intervals).sum())


def backtest(method, history, horizon=BACKTEST_HORIZON, windows=BACKTEST_WINDOWS, adjustments=None):
    """(MASE, daily residual spread) of ``method`` over rolling origins: each
    of the last ``windows`` horizons forecast from the history before it,
    from the first sale on. None when that is too short for one window or
    the naive scale is 0. ``adjustments``: {days before the end of the
    history: daily change}, added to the forecast from that origin."""
    y = since_first_sale(history)
    errors = []
    scale = None
    for window in range(windows, 0, -1):
        origin = len(y) - window * horizon
        if origin < 2 * SEASON:
            continue
        train, actual = y[:origin], y[origin : origin + horizon]
        predicted = forecast(method, train, horizon)
        if adjustments is not None:
            predicted = np.maximum(predicted + adjustments.get(window * horizon, 0.0), 0.0)
        errors.append(actual - predicted)
        if scale is None:
            scale = np.abs(train[SEASON:] - train[:-SEASON]).mean()
    if not errors or not scale:
        return None, None
    residuals = np.concatenate(errors)
    return float(np.abs(residuals).mean() / scale), float(residuals.std())
