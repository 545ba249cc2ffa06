from datetime import date, timedelta

import pytest
from lib import stage_engine as se

TODAY = date(2026, 6, 30)
TH = se.Thresholds(
    new_days=90,
    loyal_min_purchases=4,
    loyal_min_tenure_days=365,
    at_risk_factor=2.0,
    at_risk_min_purchases=3,
    at_risk_default_days=120,
    churn_days=365,
)


def figs(first_ago, last_ago, count=1, count_12m=None, interval=0.0):
    return se.Figures(
        purchase_count=count,
        purchase_count_12m=count if count_12m is None else count_12m,
        first_purchase_date=TODAY - timedelta(days=first_ago),
        last_purchase_date=TODAY - timedelta(days=last_ago),
        avg_interval_days=interval,
    )


def kind(figures, **kw):
    return se.decide(figures, TODAY, TH, **kw).kind


def test_prospect_without_purchase():
    assert kind(se.Figures()) == se.PROSPECT


@pytest.mark.parametrize("last_ago,expected", [(365, se.AT_RISK), (366, se.CHURNED)])
def test_churn_boundary(last_ago, expected):
    assert kind(figs(800, last_ago, count=2, interval=400)) == expected


@pytest.mark.parametrize("first_ago,expected", [(90, se.NEW), (91, se.ACTIVE)])
def test_new_boundary(first_ago, expected):
    assert kind(figs(first_ago, 10, count=2, interval=first_ago - 10)) == expected


def test_at_risk_uses_own_interval():
    # 3 purchases every 30 days: at risk after 2 x 30 = 60 days.
    assert kind(figs(200, 60, count=3, count_12m=3, interval=30)) == se.ACTIVE
    assert kind(figs(200, 61, count=3, count_12m=3, interval=30)) == se.AT_RISK


def test_at_risk_default_days_with_few_purchases():
    # Two purchases only: the 120 days default applies, not 2 x 10 days.
    assert kind(figs(300, 120, count=2, interval=10)) == se.ACTIVE
    assert kind(figs(300, 121, count=2, interval=10)) == se.AT_RISK


def test_loyal_boundaries():
    loyal = figs(365, 10, count=6, count_12m=4, interval=30)
    assert kind(loyal) == se.LOYAL
    assert kind(figs(364, 10, count=6, count_12m=4, interval=30)) == se.ACTIVE
    assert kind(figs(365, 10, count=6, count_12m=3, interval=30)) == se.ACTIVE


def test_won_back_after_churn_and_window():
    back = figs(900, 5, count=4, count_12m=1, interval=200)
    assert kind(back, current_kind=se.CHURNED) == se.WON_BACK
    since = TODAY - timedelta(days=90)
    assert kind(back, current_kind=se.WON_BACK, stage_since=since) == se.WON_BACK
    since = TODAY - timedelta(days=91)
    assert kind(back, current_kind=se.WON_BACK, stage_since=since) == se.ACTIVE


def test_churned_wins_over_won_back():
    assert kind(figs(900, 400, count=3), current_kind=se.CHURNED) == se.CHURNED


def test_reason_params():
    decision = se.decide(figs(900, 400, count=3), TODAY, TH)
    assert decision.reason == "churned"
    assert decision.params == {"days": 400, "limit": 365}


def test_percent_rank_score():
    assert se.percent_rank_score([10, 20, 30, 40, 50]) == [1, 2, 3, 4, 5]
    # Ties share the lowest score; a single value scores 1.
    assert se.percent_rank_score([1, 1, 1, 5]) == [1, 1, 1, 5]
    assert se.percent_rank_score([7]) == [1]


def test_valid_until_keeps_the_decision_until_then():
    """Property: from ``today`` to ``valid_until`` the decision (kind and
    reason; the day counts in its parameters grow) of unchanged figures is the
    same every day, for many random customers."""
    import random

    rng = random.Random(42)
    thresholds = se.Thresholds()
    today = date(2026, 6, 30)
    checked = 0
    for _ in range(400):
        first = today - timedelta(days=rng.randint(0, 900))
        last = first + timedelta(days=rng.randint(0, (today - first).days))
        count = rng.randint(1, 12) if last > first else 1
        figures = se.Figures(
            purchase_count=count,
            purchase_count_12m=rng.randint(0, count),
            first_purchase_date=first,
            last_purchase_date=last,
            avg_interval_days=(last - first).days / (count - 1) if count > 1 else 0,
        )
        kind = rng.choice([None, *se.KINDS])
        since = today - timedelta(days=rng.randint(0, 200)) if kind else None
        decision = se.decide(figures, today, thresholds, kind, since)
        until = se.valid_until(figures, today, thresholds, kind, since)
        assert until is None or until >= today
        end = until or today + timedelta(days=800)
        day = today
        while day <= end:
            later = se.decide(figures, day, thresholds, kind, since)
            assert (later.kind, later.reason) == (decision.kind, decision.reason), (
                figures,
                kind,
                since,
                day,
            )
            day += timedelta(days=1)
            checked += 1
    assert checked > 1000


def test_valid_until_of_a_prospect_is_forever():
    assert se.valid_until(se.Figures(), date(2026, 1, 1), se.Thresholds()) is None


def test_churned_customer_is_won_back_only_by_a_new_purchase():
    # churned on 2026-01-10; a purchase after it wins the customer back
    bought = se.Figures(
        purchase_count=3,
        purchase_count_12m=1,
        first_purchase_date=date(2023, 1, 1),
        last_purchase_date=date(2026, 6, 1),
        avg_interval_days=400,
    )
    decision = se.decide(bought, TODAY, TH, se.CHURNED, date(2026, 1, 10))
    assert decision.kind == se.WON_BACK
    # no purchase since: longer churn limits alone do not win it back
    idle = se.Figures(
        purchase_count=3,
        purchase_count_12m=0,
        first_purchase_date=date(2023, 1, 1),
        last_purchase_date=date(2025, 3, 1),
        avg_interval_days=100,
    )
    longer = se.Thresholds(churn_days=600)
    decision = se.decide(idle, TODAY, longer, se.CHURNED, date(2026, 3, 2))
    assert decision.kind == se.AT_RISK
    # and the decision gives itself again (what the job relies on)
    assert se.decide(idle, TODAY, longer, se.AT_RISK, TODAY).kind == se.AT_RISK
