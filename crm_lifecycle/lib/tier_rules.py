"""Loyalty tier rules: which tier a customer reaches and how it moves.

Plain Python, no ORM: the tier step of the scoring pipeline
(``models/crm_lifecycle_step_tier.py``) calls these functions for each
customer of a batch; ``lib/tests/test_tier_rules.py`` tests them with pytest.

A tier is **reached** when every threshold it sets is met (a threshold left
at 0 is not used); among the tiers reached, the one of the **highest rank**
wins. A customer is **promoted** at once; it is **demoted** only after
``grace_days`` days continuously below its current tier (going back to its
tier or above clears the grace).
"""

from dataclasses import dataclass
from datetime import date

# Reasons of a decision (``TierDecision.reason``).
NEW = "new"  # a first tier
PROMOTION = "promotion"
DEMOTION = "demotion"  # after the grace period
GRACE_STARTED = "grace_started"  # fell below its tier today: grace runs
GRACE_CLEARED = "grace_cleared"  # back to its tier during the grace period


@dataclass(frozen=True)
class Tier:
    """A tier's rank (higher is better) and thresholds (0: not used)."""

    rank: int
    min_revenue_12m: float = 0.0
    min_predicted_clv: float = 0.0
    min_tenure_days: int = 0


@dataclass(frozen=True)
class TierDecision:
    """The tier rank after the decision (``None``: no tier), the day the
    customer fell below it (``None`` outside a grace period) and why it
    changed (``None`` when nothing changed)."""

    rank: int | None
    below_since: date | None
    reason: str | None


def reached(tier, revenue_12m, predicted_clv, tenure_days):
    """Whether a customer with these figures meets every threshold that
    ``tier`` sets. ``tenure_days`` is ``None`` without a first purchase."""
    if tier.min_revenue_12m > 0 and (revenue_12m or 0.0) < tier.min_revenue_12m:
        return False
    if tier.min_predicted_clv > 0 and (predicted_clv or 0.0) < tier.min_predicted_clv:
        return False
    if tier.min_tenure_days > 0 and (
        tenure_days is None or tenure_days < tier.min_tenure_days
    ):
        return False
    return True


def qualified_rank(tiers, revenue_12m, predicted_clv, tenure_days):
    """The highest rank among the ``tiers`` reached, ``None`` when none is."""
    ranks = [
        tier.rank
        for tier in tiers
        if reached(tier, revenue_12m, predicted_clv, tenure_days)
    ]
    return max(ranks, default=None)


def decide(current, qualified, below_since, today, grace_days):
    """The tier of a customer today.

    :param current: the rank of its current tier (``None``: no tier)
    :param qualified: the highest rank it reaches today (``None``: none)
    :param below_since: the day it fell below its current tier, when in a
        grace period
    :param today: the scoring date
    :param grace_days: days below its tier before a demotion (0: at once)
    :return: a :class:`TierDecision`
    """
    if current is None:
        return TierDecision(qualified, None, NEW if qualified is not None else None)
    if qualified is not None and qualified >= current:
        if qualified > current:
            return TierDecision(qualified, None, PROMOTION)
        return TierDecision(current, None, GRACE_CLEARED if below_since else None)
    since = below_since or today
    if (today - since).days >= grace_days:
        return TierDecision(qualified, None, DEMOTION)
    return TierDecision(current, since, None if below_since else GRACE_STARTED)
