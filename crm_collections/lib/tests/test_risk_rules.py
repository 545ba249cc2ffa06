import pytest
from lib import risk_rules as rr


def test_usual_balance_uses_at_least_30_days():
    assert rr.usual_balance(36500, 10) == pytest.approx(3000)
    assert rr.usual_balance(36500, 60) == pytest.approx(6000)
    assert rr.usual_balance(0, 60) == 0


@pytest.mark.parametrize(
    "overdue, revenue, days_to_pay, expected",
    [
        (0, 36500, 30, 0.0),
        (1500, 36500, 30, 0.25),  # 1500 / (2 x 3000)
        (6000, 36500, 30, 1.0),
        (9000, 36500, 30, 1.0),  # capped
        (100, 0, None, 1.0),  # no revenue: any overdue is the worst
        (3000, 36500, 60, 0.25),  # slower payer: larger usual balance
    ],
)
def test_overdue_component(overdue, revenue, days_to_pay, expected):
    assert rr.overdue_component(overdue, revenue, days_to_pay) == expected


@pytest.mark.parametrize(
    "days, expected, bucket",
    [
        (-5, 0.0, "current"),
        (0, 0.0, "current"),
        (None, 0.0, "current"),
        (1, 0.25, "1_30"),
        (30, 0.25, "1_30"),
        (31, 0.5, "31_60"),
        (45, 0.5, "31_60"),
        (60, 0.5, "31_60"),
        (61, 0.75, "61_90"),
        (90, 0.75, "61_90"),
        (91, 1.0, "over_90"),
        (200, 1.0, "over_90"),
    ],
)
def test_days_overdue_component_by_aging_bucket(days, expected, bucket):
    assert rr.days_overdue_component(days) == expected
    assert rr.days_overdue_bucket(days) == bucket
    assert rr.days_overdue_component_bucket(expected) == bucket


def test_days_overdue_component_is_a_step():
    """Day after day within a bucket the component does not change: it moves
    only at the boundaries (so the profile is not rewritten every night)."""
    values = [rr.days_overdue_component(days) for days in range(0, 120)]
    changes = [days for days in range(1, 120) if values[days] != values[days - 1]]
    assert changes == [1, 31, 61, 91]
    assert rr.days_overdue_component_bucket(0.33) is None


def test_payment_habit_component():
    # 15 days late on average (0.5), 40% paid on time (0.6 not)
    assert rr.payment_habit_component(15, 0.4) == 0.55
    assert rr.payment_habit_component(0, 1.0) == 0.0
    assert rr.payment_habit_component(90, 0.0) == 1.0
    assert rr.payment_habit_component(0, 0, has_record=False) is None


def test_broken_promises_and_dunning():
    assert rr.broken_promises_component(0) == 0.0
    assert rr.broken_promises_component(1) == 0.5
    assert rr.broken_promises_component(2) == 0.75
    assert rr.broken_promises_component(3) == 0.88
    assert rr.dunning_component(2 / 3) == 0.67
    assert rr.dunning_component(None) == 0.0


def test_raw_score_weighted_mean_of_applicable_components():
    weights = rr.Weights()
    values = {
        "overdue": 0.25,
        "days_overdue": 0.5,
        "payment_habit": 0.55,
        "broken_promises": 0.5,
        "dunning": 0.67,
    }
    # (0.25 + 0.5 + 0.55 + 0.25 + 0.335) / 4 = 0.47125
    assert rr.raw_score(values, weights) == 47
    # without a payment record the habit has no weight: 1.335 / 3 = 0.445
    values["payment_habit"] = None
    assert rr.raw_score(values, weights) == 45
    assert rr.raw_score(values, rr.Weights(0, 0, 1, 0, 0)) is None


def test_mitigation_by_lifetime_value():
    # no value: no mitigation
    assert rr.mitigated_score(60, 1000, 0, 0.3) == 60
    # value 3000 against 1000 overdue: 30% x 3/4 = 22.5 -> 23 points
    assert rr.mitigation_points(1000, 3000, 0.3) == 23
    assert rr.mitigated_score(60, 1000, 3000, 0.3) == 46  # 60 x 0.77 = 46.2
    # same debt, higher value: lower score, never below 70% of it
    assert rr.mitigated_score(60, 1000, 9000, 0.3) == 44  # 27 points: 43.8
    assert rr.mitigated_score(60, 1000, 10**9, 0.3) == 42
    assert rr.mitigated_score(None, 1000, 3000, 0.3) is None


def test_level_thresholds():
    assert rr.level(None, 40, 70) is None
    assert rr.level(39, 40, 70) == "low"
    assert rr.level(40, 40, 70) == "medium"
    assert rr.level(69, 40, 70) == "medium"
    assert rr.level(70, 40, 70) == "high"


def test_components_together():
    values = rr.components(1500, 36500, 30, 45, 15, 0.4, True, 1, 2 / 3)
    assert values == {
        "overdue": 0.25,
        "days_overdue": 0.5,
        "payment_habit": 0.55,
        "broken_promises": 0.5,
        "dunning": 0.67,
    }
