"""The financial-risk score of a customer: plain Python, no ORM.

The scoring step ``financial_risk`` of ``crm_collections`` computes the
components and the score before mitigation in SQL (its twin of
:func:`components` and :func:`raw_score`), then decides the final score and
the level per batch with :func:`mitigated_score` and :func:`level` (the
predicted lifetime value it needs is decided in Python by the value step).
The formulas are documented in ``docs/admin-guide.md`` with a worked example;
keep both in step.

Every component is a number in [0, 1] (1: worst), rounded to 0.01, or None
when it does not apply (no weight in the score).
"""

import math
from dataclasses import dataclass

# Components, in the order of the explanation.
COMPONENTS = ("overdue", "days_overdue", "payment_habit", "broken_promises", "dunning")
# ``days_overdue`` by aging bucket of the longest days overdue: (bucket key,
# last day of the bucket, value); past the last day of the last bounded
# bucket, the "over 90 days" bucket is 1. A step, not a slope: the component
# changes only when the customer crosses a boundary, so the nightly scoring
# does not rewrite every overdue customer every day. The keys and boundaries
# are those of the receivables aging (``crm.collections.aging``: ``BUCKETS``
# and ``bucket_sql``, an Odoo model this plain module does not import): keep
# them the same.
DAYS_OVERDUE_BUCKETS = (
    ("current", 0, 0.0),
    ("1_30", 30, 0.25),
    ("31_60", 60, 0.5),
    ("61_90", 90, 0.75),
)
DAYS_OVERDUE_OVER = ("over_90", None, 1.0)
# Average days paid late at which the lateness half of ``payment_habit`` is 1.
DAYS_LATE_FULL = 30
# The usual balance assumes at least this many days to pay.
MIN_DAYS_TO_PAY = 30
# Overdue amount, in usual balances, at which ``overdue`` reaches 1.
USUAL_BALANCE_MULTIPLE = 2
# Windows: broken promises and the payment record over 12 months, dunning
# escalations over the last 90 days.
PROMISE_WINDOW_DAYS = 365
DUNNING_WINDOW_DAYS = 90
LEVELS = ("low", "medium", "high")


@dataclass(frozen=True)
class Weights:
    """Weights of the components (non-negative, at least one positive) and
    the largest share of the score the lifetime value may take off."""

    overdue: float = 1.0
    days_overdue: float = 1.0
    payment_habit: float = 1.0
    broken_promises: float = 0.5
    dunning: float = 0.5
    clv_mitigation: float = 0.3

    def of(self, code):
        return float(getattr(self, code))


def round_half_up(value, digits=0):
    """Round like PostgreSQL's ``ROUND(numeric)`` on positive numbers."""
    factor = 10**digits
    return math.floor(value * factor + 0.5) / factor


def usual_balance(revenue_12m, days_to_pay_avg):
    """What the customer usually owes: its 12-month revenue spread over the
    days it takes to pay (at least :data:`MIN_DAYS_TO_PAY`)."""
    days = max(float(days_to_pay_avg or 0.0), MIN_DAYS_TO_PAY)
    return float(revenue_12m or 0.0) * days / 365


def overdue_component(overdue_amount, revenue_12m, days_to_pay_avg):
    """The overdue amount against :data:`USUAL_BALANCE_MULTIPLE` usual
    balances: 0 without overdue, 1 when it reaches them (or when the
    customer has no revenue in 12 months)."""
    overdue = float(overdue_amount or 0.0)
    if overdue <= 0:
        return 0.0
    usual = usual_balance(revenue_12m, days_to_pay_avg)
    if usual <= 0:
        return 1.0
    return round_half_up(min(1.0, overdue / (USUAL_BALANCE_MULTIPLE * usual)), 2)


def _days_overdue_bucket(days):
    days = max(0, int(days or 0))
    for bucket in DAYS_OVERDUE_BUCKETS:
        if days <= bucket[1]:
            return bucket
    return DAYS_OVERDUE_OVER


def days_overdue_bucket(days):
    """The aging bucket key of ``days`` overdue: ``current`` (0 or less),
    ``1_30``, ``31_60``, ``61_90``, ``over_90``."""
    return _days_overdue_bucket(days)[0]


def days_overdue_component(days):
    """The longest days overdue by aging bucket: 0 days 0, 1-30 days 0.25,
    31-60 days 0.5, 61-90 days 0.75, over 90 days 1."""
    return _days_overdue_bucket(days)[2]


def days_overdue_component_bucket(value):
    """The bucket key of a ``days_overdue`` component value (None when it is
    no bucket's)."""
    for key, _last, bucket_value in (*DAYS_OVERDUE_BUCKETS, DAYS_OVERDUE_OVER):
        if bucket_value == value:
            return key
    return None


def payment_habit_component(days_late_avg, on_time_share, has_record=True):
    """Half the lateness (average days late against :data:`DAYS_LATE_FULL`),
    half the share of the amount not paid on time; None without a payment
    in 12 months."""
    if not has_record:
        return None
    late = min(1.0, max(0.0, float(days_late_avg or 0.0)) / DAYS_LATE_FULL)
    return round_half_up(0.5 * late + 0.5 * (1 - float(on_time_share or 0.0)), 2)


def broken_promises_component(broken):
    """1 broken promise counts 0.5, 2 count 0.75, 3 count 0.88..."""
    return round_half_up(1 - 0.5 ** max(0, broken or 0), 2)


def dunning_component(level_share):
    """The highest dunning level reached: its rank over the number of levels
    of its policy (1: the last level)."""
    return round_half_up(min(1.0, max(0.0, float(level_share or 0.0))), 2)


def components(
    overdue_amount,
    revenue_12m,
    days_to_pay_avg,
    days_overdue,
    days_late_avg,
    on_time_share,
    has_record,
    broken,
    level_share,
):
    """``{code: value}`` of the five components; ``days_overdue`` is the
    longest days overdue as of the scoring's day (the step computes it from
    the profile's ``overdue_since``)."""
    return {
        "overdue": overdue_component(overdue_amount, revenue_12m, days_to_pay_avg),
        "days_overdue": days_overdue_component(days_overdue),
        "payment_habit": payment_habit_component(
            days_late_avg, on_time_share, has_record
        ),
        "broken_promises": broken_promises_component(broken),
        "dunning": dunning_component(level_share),
    }


def raw_score(values, weights):
    """0-100 before mitigation: the weighted mean of the components that
    apply (None: no weight); None when no weight applies."""
    total = sum(weights.of(code) for code in COMPONENTS if values.get(code) is not None)
    if total <= 0:
        return None
    weighted = sum(
        weights.of(code) * values[code]
        for code in COMPONENTS
        if values.get(code) is not None
    )
    return int(round_half_up(100 * weighted / total))


def mitigation_points(overdue_amount, predicted_clv, clv_mitigation):
    """Percent of the score the predicted lifetime value takes off: at most
    ``100 * clv_mitigation``, in proportion to the value's share of value
    plus overdue amount. 0 without a predicted value."""
    clv = max(0.0, float(predicted_clv or 0.0))
    if clv <= 0:
        return 0
    overdue = max(0.0, float(overdue_amount or 0.0))
    share = clv / (clv + overdue)
    return int(round_half_up(100 * float(clv_mitigation) * share))


def mitigated_score(raw, overdue_amount, predicted_clv, clv_mitigation):
    """The final score: ``raw`` less the mitigation points, in percent of
    it, rounded half up (integer arithmetic, as its SQL twin)."""
    if raw is None:
        return None
    points = mitigation_points(overdue_amount, predicted_clv, clv_mitigation)
    return (int(raw) * (100 - points) + 50) // 100


def level(score, medium, high):
    """``low``, ``medium`` or ``high`` by the company's thresholds; None
    without a score."""
    if score is None:
        return None
    if score >= high:
        return "high"
    if score >= medium:
        return "medium"
    return "low"
