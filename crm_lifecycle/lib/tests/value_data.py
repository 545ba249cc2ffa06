"""Shared data and helpers of the value model tests: the CDNOW sample and
its conventions, the reference fit, small assertions."""

import collections
import datetime
from pathlib import Path

import numpy as np
from lib import (
    value_model as vm,
)

DATA = Path(__file__).resolve().parent / "data"
CALIBRATION_END = datetime.date(1997, 9, 30)
HOLDOUT_END = datetime.date(1998, 6, 30)

# The BG/NBD and Gamma-Gamma fits of the shipped CDNOW summary (this module's
# fit, identical to lifetimes' to 6 digits): the parameters of the reference
# predictions below.
CDNOW_PARAMS = vm.BGNBDParams(
    r=0.24259290613778456,
    alpha=4.413531544701037,
    a=0.7928861366462561,
    b=2.4257533601576036,
)
CDNOW_GG = vm.GammaGammaParams(
    p=6.248802238692197, q=3.7445883980167562, v=15.447748421886423
)
CDNOW_FIT = vm.ValueFit(
    method="bgnbd",
    bgnbd=CDNOW_PARAMS,
    gamma_gamma=CDNOW_GG,
    heuristic={"rate": 0.03, "mean_value": 35.0},
)


def sig3(value):
    """``value`` rounded to 3 significant digits."""
    return float(f"{value:.3g}")


def load_summary(name):
    return np.genfromtxt(DATA / name, delimiter=",", names=True)


def read_transactions(transactions_path):
    """``{customer: {day: amount}}`` of CDNOW_sample.txt (columns: master id,
    sample id, yyyymmdd, CDs, dollars); the sample id is the customer."""
    days = collections.defaultdict(lambda: collections.defaultdict(float))
    with open(transactions_path) as handle:
        for line in handle:
            _master, customer, day, _cds, amount = line.split()
            date = datetime.date(int(day[:4]), int(day[4:6]), int(day[6:]))
            days[int(customer)][date] += float(amount)
    return days


def derive_cdnow_summary(transactions_path, calibration_end):
    """Per customer (sorted by id) ``(ids, x, t_x, T, m)`` as of
    ``calibration_end`` (inclusive).

    Conventions: a purchase occasion is a distinct day (the amounts of one day
    are summed); ``x`` = occasions up to ``calibration_end`` minus one,
    ``t_x`` = (last day - first day) / 7, ``T`` = (calibration_end - first
    day) / 7, ``m`` = mean amount of the repeat occasions (first day
    excluded), 0 when ``x = 0``.
    """
    per_customer = read_transactions(transactions_path)
    ids, x, t_x, T, m = [], [], [], [], []
    for customer in sorted(per_customer):
        amounts = per_customer[customer]
        days = sorted(day for day in amounts if day <= calibration_end)
        if not days:
            continue
        first, last = days[0], days[-1]
        repeat = len(days) - 1
        ids.append(customer)
        x.append(repeat)
        t_x.append((last - first).days / 7)
        T.append((calibration_end - first).days / 7)
        m.append(sum(amounts[day] for day in days[1:]) / repeat if repeat else 0.0)
    return tuple(np.array(v, dtype=float) for v in (ids, x, t_x, T, m))


def holdout_occasions(transactions_path, calibration_end, holdout_end, ids):
    """Distinct purchase days in (calibration_end, holdout_end] per id."""
    per_customer = read_transactions(transactions_path)
    return np.array(
        [
            sum(
                1
                for day in per_customer[int(i)]
                if calibration_end < day <= holdout_end
            )
            for i in ids
        ],
        dtype=float,
    )


def assert_finite(*arrays):
    for array in arrays:
        assert np.all(np.isfinite(np.asarray(array, dtype=float)))


def all_predictions(fit, x, t_x, T, m):
    return [
        vm.p_alive(fit, x, t_x, T),
        vm.expected_purchases(fit, 52.0, x, t_x, T),
        vm.expected_value(fit, x, m),
        vm.clv(fit, x, t_x, T, m, 24, 0.1, 0.3),
        vm.expected_rate(fit, x, T),
    ]


# Hand-picked customers: (x, t_x, T, m).
X = np.array([0, 1, 2, 7, 2, 30, 5000.0])
T_X = np.array([0, 1.71, 30.43, 35.71, 5.0, 38.0, 150.0])
T_ = np.array([38.86, 38.86, 38.86, 38.86, 38.86, 38.86, 156.0])
M = np.array([0, 11.77, 22.35, 40.0, 15.0, 80.0, 25.0])
