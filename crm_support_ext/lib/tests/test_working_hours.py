import importlib.util
from datetime import datetime
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "working_hours", Path(__file__).parent.parent / "working_hours.py"
)
working_hours = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(working_hours)


def days(*spans):
    """Work intervals 9-17 on the given days of November 2026."""
    return working_hours.WorkIntervals(
        (datetime(2026, 11, d, 9), datetime(2026, 11, d, 17)) for d in spans
    )


def test_plan_within_a_day():
    wi = days(2, 3)
    assert wi.plan(datetime(2026, 11, 2, 10), 2.5) == datetime(2026, 11, 2, 12, 30)


def test_plan_crosses_days_and_gaps():
    # Friday 6 to Monday 9: the weekend (7, 8) is not in the intervals
    wi = days(6, 9)
    assert wi.plan(datetime(2026, 11, 6, 15), 4) == datetime(2026, 11, 9, 11)


def test_plan_from_outside_working_hours():
    wi = days(2, 3)
    assert wi.plan(datetime(2026, 11, 2, 20), 1) == datetime(2026, 11, 3, 10)
    assert wi.plan(datetime(2026, 11, 2, 7), 0.25) == datetime(2026, 11, 2, 9, 15)


def test_plan_beyond_the_intervals():
    assert days(2).plan(datetime(2026, 11, 2, 9), 9) is None
    assert days(2).plan(datetime(2026, 11, 2, 9), 0) == datetime(2026, 11, 2, 9)


def test_hours_between():
    wi = days(6, 9)
    assert wi.hours_between(datetime(2026, 11, 6, 16), datetime(2026, 11, 9, 10)) == 2
    assert wi.hours_between(datetime(2026, 11, 9, 10), datetime(2026, 11, 6, 16)) == 0
    assert wi.hours_between(datetime(2026, 11, 7), datetime(2026, 11, 8)) == 0
