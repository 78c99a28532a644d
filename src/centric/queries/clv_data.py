"""Model data for the customer-value models, from the orders table, as Ibis expressions.

Follows the BTYD convention of Fader, Hardie & Lee (2005): purchases on one day count once;
frequency = repeat purchase days, recency = last - first purchase day, T = end of calibration -
first purchase day, in the chosen unit (days, weeks or months of 365.25/12 days). monetary_value
is the mean value of the repeat purchase days (0 without repeats). Purchases and their values are
customer_summary's: net of returns (a fully reversed order is no purchase).

With `reversals` (the order_reversals table), the calibration period is read as it was known at
its end (customer_summary.purchases_as_of): a purchase on or before the calibration's last day is
net only of the credit notes dated on or before that day, so a return in the holdout period does
not reach back into the calibration data (a look-ahead otherwise). The holdout period's purchases
are the outcome and take the final values (every credit note loaded). Without reversals, every
period takes the final values.

With a holdout end, each customer acquired by the end of calibration also gets
frequency_holdout (repeat purchase days after calibration, up to the holdout end),
monetary_value_holdout and duration_holdout. Customers first buying after calibration are left out.
"""

from __future__ import annotations

from centric.queries.customer_summary import purchases, purchases_as_of
from centric.queries.moments import timestamp

UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}


def unit_days(unit: str) -> float:
    if unit not in UNIT_DAYS:
        raise ValueError(f"unknown time unit {unit!r}: choose one of {', '.join(UNIT_DAYS)}")
    return UNIT_DAYS[unit]


def purchase_days(orders, until, reversals=None, known=None):
    """One row per customer and purchase day up to `until`: customer_id, day, value. With reversals and
    `known` (a date), purchases as known at the end of that day (purchases_as_of); else final values."""
    end = timestamp(until)
    buys = purchases(orders, end) if reversals is None else purchases_as_of(orders, reversals, known, end)
    buys = buys.mutate(day=buys.ordered_at.date())
    return buys.group_by(["customer_id", "day"]).aggregate(value=buys.value.sum())


def clv_model_data(orders, calibration_end, unit: str = "days", holdout_end=None, reversals=None):
    """frequency, recency, T, monetary_value per customer (plus holdout columns with holdout_end).
    reversals: the order_reversals table, to read the calibration period as known at its end."""
    import ibis

    per_unit = unit_days(unit)
    cal_day = timestamp(calibration_end).date()
    days = purchase_days(orders, holdout_end or calibration_end)
    if reversals is not None:  # calibration days as known at its end, holdout days final
        cal_days = purchase_days(orders, holdout_end or calibration_end, reversals, cal_day)
        cal_days = cal_days.filter(cal_days.day <= cal_day)
        days = cal_days.union(days.filter(days.day > cal_day))
    first = days.group_by("customer_id").aggregate(first_day=days.day.min())
    first = first.filter(first.first_day <= cal_day)
    d = days.join(first, "customer_id")
    d = d.mutate(in_calibration=d.day <= cal_day, repeat=d.day > d.first_day)
    cal = d.filter(d.in_calibration)
    s = cal.group_by("customer_id").aggregate(
        first_day=cal.first_day.min(),
        last_day=cal.day.max(),
        frequency=(cal.repeat).sum().cast("float64"),
        repeat_value=ibis.ifelse(cal.repeat, cal.value, 0.0).sum(),
    )
    s = s.mutate(
        recency=s.last_day.delta(s.first_day, unit="day").cast("float64") / per_unit,
        T=cal_day.delta(s.first_day, unit="day").cast("float64") / per_unit,
        monetary_value=ibis.ifelse(s.frequency > 0, s.repeat_value / s.frequency, 0.0),
    )
    columns = ["customer_id", "frequency", "recency", "T", "monetary_value", "first_day"]
    if holdout_end is None:
        return s.select(*columns)
    hold = d.filter(~d.in_calibration)
    h = hold.group_by("customer_id").aggregate(
        frequency_holdout=hold.count().cast("float64"), value_holdout=hold.value.sum()
    )
    hold_day = ibis.literal(holdout_end).cast("timestamp").date()
    s = s.left_join(h, "customer_id")
    s = s.mutate(
        frequency_holdout=s.frequency_holdout.fill_null(0.0),
        monetary_value_holdout=ibis.ifelse(s.frequency_holdout.fill_null(0) > 0,
                                           s.value_holdout / s.frequency_holdout, 0.0),
        duration_holdout=hold_day.delta(cal_day, unit="day").cast("float64") / per_unit,
    )
    return s.select(*columns, "frequency_holdout", "monetary_value_holdout", "duration_holdout")


def fit_rows(model_data):
    """The fits' sufficient statistics: one row per distinct (frequency, recency, T, monetary_value) with
    the number of customers holding it (`weights`), in a fixed order. The models' likelihoods are sums
    over customers, so a fit on these weighted rows is the fit on every customer (models/clv/base.py)."""
    keys = ["frequency", "recency", "T", "monetary_value"]
    rows = model_data.group_by(keys).aggregate(weights=model_data.count().cast("float64"))
    return rows.order_by(keys)


def repeat_purchase_times(orders, origin, until, unit: str = "days"):
    """Every purchase day after a customer's first, as time since `origin` in the unit (for tracking plots)."""
    import ibis

    per_unit = unit_days(unit)
    start = ibis.literal(origin).cast("timestamp").date()
    days = purchase_days(orders, until)
    first = days.group_by("customer_id").aggregate(first_day=days.day.min())
    d = days.join(first, "customer_id")
    d = d.mutate(time=d.day.delta(start, unit="day").cast("float64") / per_unit,
                 first_time=d.first_day.delta(start, unit="day").cast("float64") / per_unit,
                 is_first=d.day == d.first_day)
    return d.select("customer_id", "time", "first_time", "is_first")


def first_purchase_at(orders):
    """One row, one column first_purchase_at: the time of the first purchase in the data."""
    buys = purchases(orders)
    return buys.aggregate(first_purchase_at=buys.ordered_at.min())


def mean_purchase_value(orders):
    """One row, one column mean_value: the mean value of a purchase (the spend when no model can be fitted)."""
    buys = purchases(orders)
    return buys.aggregate(mean_value=buys.value.mean())
