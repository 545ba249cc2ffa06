"""Lifecycle stage rules, free of the ORM.

The engine decides which *kind* of stage a customer belongs to from its
purchase figures. The Odoo models map kinds to configurable stage records,
format the reason in the user's language and record the history.

Rules, in order of precedence (the first that matches wins):

1. ``prospect``: no purchase yet (an open opportunity alone makes a prospect).
2. ``churned``: no purchase for more than ``churn_days``.
3. ``won_back``: the customer was churned and has bought again since the day
   it churned (a churned customer that no longer counts as churned only
   because the thresholds changed is not won back).
4. ``at_risk``: no purchase for more than ``at_risk_factor`` times the
   customer's own average interval between purchases, or for more than
   ``at_risk_default_days`` while it has fewer than ``at_risk_min_purchases``
   purchase occasions.
5. ``won_back`` (kept): the customer came back less than ``new_days`` ago.
6. ``new``: the first purchase is at most ``new_days`` old.
7. ``loyal``: at least ``loyal_min_purchases`` purchase occasions in the last
   12 months and a tenure of at least ``loyal_min_tenure_days``.
8. ``active``: everything else.
"""

from dataclasses import dataclass
from datetime import date

PROSPECT = "prospect"
NEW = "new"
ACTIVE = "active"
LOYAL = "loyal"
AT_RISK = "at_risk"
CHURNED = "churned"
WON_BACK = "won_back"

KINDS = (PROSPECT, NEW, ACTIVE, LOYAL, AT_RISK, CHURNED, WON_BACK)


@dataclass(frozen=True)
class Thresholds:
    new_days: int = 90
    loyal_min_purchases: int = 4
    loyal_min_tenure_days: int = 365
    at_risk_factor: float = 2.0
    at_risk_min_purchases: int = 3
    at_risk_default_days: int = 120
    churn_days: int = 365


@dataclass(frozen=True)
class Figures:
    """Purchase figures of one customer in one company."""

    purchase_count: int = 0
    purchase_count_12m: int = 0
    first_purchase_date: date | None = None
    last_purchase_date: date | None = None
    avg_interval_days: float = 0.0


@dataclass(frozen=True)
class Decision:
    """The kind a customer belongs to and why.

    ``reason`` is a stable code, ``params`` the numbers behind it; the caller
    turns both into a sentence in the user's language.
    """

    kind: str
    reason: str
    params: dict


def at_risk_limit(figures, thresholds):
    """Days without purchase after which the customer is at risk."""
    if (
        figures.purchase_count >= thresholds.at_risk_min_purchases
        and figures.avg_interval_days > 0
    ):
        return thresholds.at_risk_factor * figures.avg_interval_days
    return float(thresholds.at_risk_default_days)


def decide(figures, today, thresholds, current_kind=None, stage_since=None):
    """Return the :class:`Decision` for one customer on ``today``.

    :param figures: the customer's :class:`Figures` as of ``today``
    :param today: the date the decision is taken for
    :param thresholds: the company's :class:`Thresholds`
    :param current_kind: the kind of the customer's current stage, if any
    :param stage_since: the date the customer entered its current stage
    """
    if not figures.purchase_count or not figures.last_purchase_date:
        return Decision(PROSPECT, "no_purchase", {})
    recency = (today - figures.last_purchase_date).days
    tenure = (today - figures.first_purchase_date).days
    if recency > thresholds.churn_days:
        return Decision(
            CHURNED, "churned", {"days": recency, "limit": thresholds.churn_days}
        )
    if current_kind == CHURNED and (
        not stage_since or figures.last_purchase_date >= stage_since
    ):
        return Decision(
            WON_BACK, "won_back", {"date": figures.last_purchase_date.isoformat()}
        )
    limit = at_risk_limit(figures, thresholds)
    if recency > limit:
        return Decision(AT_RISK, "at_risk", {"days": recency, "limit": round(limit)})
    if (
        current_kind == WON_BACK
        and stage_since
        and (today - stage_since).days <= thresholds.new_days
    ):
        return Decision(WON_BACK, "won_back_recent", {"days": thresholds.new_days})
    if tenure <= thresholds.new_days:
        return Decision(NEW, "new", {"days": tenure, "limit": thresholds.new_days})
    if (
        figures.purchase_count_12m >= thresholds.loyal_min_purchases
        and tenure >= thresholds.loyal_min_tenure_days
    ):
        return Decision(
            LOYAL,
            "loyal",
            {"count": figures.purchase_count_12m, "tenure": tenure},
        )
    return Decision(ACTIVE, "active", {"days": recency})


def percent_rank_score(values):
    """RFM score 1-5 of each value by its percent rank among ``values``.

    Ties get the same (lowest) score; this is the Python twin of the SQL the
    scoring job runs (``1 + floor(percent_rank() * 5)``, capped at 5) and is
    kept for tests and for integrators who score outside the database.
    """
    ordered = sorted(values)
    n = len(ordered)
    first_rank = {}
    for index, value in enumerate(ordered):
        first_rank.setdefault(value, index)
    scores = []
    for value in values:
        rank = first_rank[value] / (n - 1) if n > 1 else 0.0
        scores.append(min(5, 1 + int(rank * 5)))
    return scores


def valid_until(figures, today, thresholds, current_kind=None, stage_since=None):
    """The last day on which :func:`decide` gives the decision it gives on
    ``today``, as long as the figures do not change (``None``: for ever).

    Every rule compares a number of days that grows with the date (days
    since the last or the first purchase, days in the stage) with a limit,
    so a decision can only change the day after one of these boundaries.
    The result is conservative: the earliest boundary not yet passed, even
    if crossing it happens to keep the decision. The scoring job
    re-evaluates a customer whose figures are unchanged only after it.
    """
    if not figures.purchase_count or not figures.last_purchase_date:
        return None
    last = figures.last_purchase_date.toordinal()
    first = figures.first_purchase_date.toordinal()
    # Each boundary is the last day on which a comparison keeps its result.
    boundaries = [
        last + thresholds.churn_days,  # recency > churn_days
        last + int(at_risk_limit(figures, thresholds)),  # recency > limit
        first + thresholds.new_days,  # tenure <= new_days
        first + thresholds.loyal_min_tenure_days - 1,  # tenure >= loyal tenure
    ]
    if stage_since:
        # days in the stage <= new_days (won back kept)
        boundaries.append(stage_since.toordinal() + thresholds.new_days)
    day = today.toordinal()
    ahead = [boundary for boundary in boundaries if boundary >= day]
    return date.fromordinal(min(ahead)) if ahead else None
