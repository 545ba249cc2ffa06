from datetime import date, timedelta

import pytest
from lib import tier_rules as tr

TODAY = date(2026, 6, 30)
BRONZE = tr.Tier(rank=10, min_revenue_12m=100)
SILVER = tr.Tier(rank=20, min_revenue_12m=1000, min_tenure_days=365)
GOLD = tr.Tier(rank=30, min_revenue_12m=5000, min_predicted_clv=2000)
TIERS = [GOLD, BRONZE, SILVER]


def days(n):
    return timedelta(days=n)


@pytest.mark.parametrize(
    "revenue, clv, tenure, expected",
    [
        (0, 0, None, None),
        (99, 10000, 1000, None),
        (100, 0, None, 10),
        # Silver needs both its revenue and its tenure
        (1000, 0, 364, 10),
        (1000, 0, 365, 20),
        # Gold's revenue without its CLV: the highest reached tier is Silver
        (6000, 1999, 400, 20),
        (6000, 2000, 10, 30),
        (6000, 2000, 400, 30),
    ],
)
def test_qualified_rank_all_thresholds_highest_wins(revenue, clv, tenure, expected):
    assert tr.qualified_rank(TIERS, revenue, clv, tenure) == expected


def test_unused_thresholds():
    base = tr.Tier(rank=1)
    assert tr.reached(base, 0, 0, None)
    assert tr.reached(tr.Tier(rank=1, min_tenure_days=0), 0, None, None)
    assert not tr.reached(tr.Tier(rank=1, min_tenure_days=1), 0, None, None)
    assert tr.qualified_rank([], 1e9, 1e9, 1e9) is None


def test_new_tier_and_no_tier():
    assert tr.decide(None, 20, None, TODAY, 90) == tr.TierDecision(20, None, tr.NEW)
    assert tr.decide(None, None, None, TODAY, 90) == tr.TierDecision(None, None, None)


def test_promotion_at_once_clears_grace():
    assert tr.decide(10, 30, None, TODAY, 90) == tr.TierDecision(30, None, tr.PROMOTION)
    assert tr.decide(10, 20, TODAY - days(50), TODAY, 90) == tr.TierDecision(
        20, None, tr.PROMOTION
    )


def test_unchanged():
    assert tr.decide(20, 20, None, TODAY, 90) == tr.TierDecision(20, None, None)


def test_demotion_only_after_grace():
    grace = 30
    start = TODAY
    first = tr.decide(30, 10, None, start, grace)
    assert first == tr.TierDecision(30, start, tr.GRACE_STARTED)
    last_day = tr.decide(30, 10, start, start + days(grace - 1), grace)
    assert last_day == tr.TierDecision(30, start, None)
    demoted = tr.decide(30, 10, start, start + days(grace), grace)
    assert demoted == tr.TierDecision(10, None, tr.DEMOTION)
    # to no tier at all
    assert tr.decide(30, None, start, start + days(grace), grace) == tr.TierDecision(
        None, None, tr.DEMOTION
    )


def test_zero_grace_demotes_at_once():
    assert tr.decide(30, 20, None, TODAY, 0) == tr.TierDecision(20, None, tr.DEMOTION)


def test_back_above_clears_grace():
    start = TODAY
    assert tr.decide(30, 30, start, start + days(5), 30) == tr.TierDecision(
        30, None, tr.GRACE_CLEARED
    )
    # falling again starts a new grace period from that day
    again = start + days(6)
    assert tr.decide(30, 10, None, again, 30) == tr.TierDecision(
        30, again, tr.GRACE_STARTED
    )
    assert tr.decide(30, 10, again, again + days(29), 30).rank == 30


def test_decide_is_idempotent_on_the_same_day():
    """Deciding again from the stored result on the same day changes nothing:
    a from-scratch scoring after a run agrees with it."""
    for current, qualified, since in [
        (None, 20, None),
        (10, 30, None),
        (30, 10, None),
        (30, 10, TODAY - days(10)),
        (30, 10, TODAY - days(90)),
        (30, 30, TODAY - days(3)),
    ]:
        first = tr.decide(current, qualified, since, TODAY, 90)
        second = tr.decide(first.rank, qualified, first.below_since, TODAY, 90)
        assert (second.rank, second.below_since) == (first.rank, first.below_since)
        assert second.reason is None
