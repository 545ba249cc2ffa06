"""Customer value model case of the nightly benchmark (family ``value``).

Data (generated once per database by :func:`prepare`, seeded):
``CUSTOMERS`` customers (environment, default :data:`DEFAULT_CUSTOMERS`) with
three years of purchase histories drawn from a BG/NBD process with known
parameters (:data:`TRUE_BGNBD`, time unit the week) and spends from a
Gamma-Gamma process (:data:`TRUE_GG`). Each customer's first purchase is 0 to
1095 days before the as-of date D (today, when generated); purchase times
fall on invoice days (rounded to whole days), the purchases of one day make
one purchase occasion whose amount is their sum (cents). The occasions go
into the table :data:`TABLE` ``(customer, day, amount)`` of the bench
database (binary COPY); nothing of Odoo is needed but the database.

The one case, ``fit``, in its own child process:

``extract_s``
    one SQL aggregate (:data:`EXTRACT_SQL`, a GROUP BY over the table) that
    returns per customer ``x`` (repeat occasions), ``t_x`` and ``T`` (days)
    and the mean repeat spend ``m``, read with a binary COPY into numpy
    arrays;
``fit_s``
    ``crm_lifecycle.lib.value_model.fit`` on those in-memory arrays (weeks):
    collapse + BG/NBD + Gamma-Gamma;
``lifetimes_s``
    ``lifetimes`` 0.11.3 ``BetaGeoFitter`` + ``GammaGammaFitter`` fitted on
    the same collapsed rows with weights (and the same repeat buyers), in the
    same process (``tools/bench.sh`` installs it into
    ``.cache/bench-lifetimes``; without it the line says ``n/a``);
``speedup``
    ``lifetimes_s / fit_s``;
``max_param_error``
    the largest relative error of the 4 fitted BG/NBD parameters against
    :data:`TRUE_BGNBD` (the case fails above :data:`MAX_PARAM_ERROR`; the day
    rounding alone biases alpha by about +5%).

Summary line::

    value: customers=N extract_s=E fit_s=X lifetimes_s=Y speedup=Z max_param_error=P

Without a database (generation and figures in numpy, ``extract_s=n/a``)::

    python3 tests/bench/case_value.py --customers 1000000
"""

import argparse
import datetime
import io
import json
import os
import struct
import sys
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CASES = ["fit"]
SUMMARY_ORDER = ["fit"]
DEFAULT_CUSTOMERS = 100_000
# True parameters of the generator (weeks).
TRUE_BGNBD = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
TRUE_GG = {"p": 6.0, "q": 4.0, "v": 15.0}
HISTORY_DAYS = 1095
SEED = 20260630
MAX_PARAM_ERROR = 0.10
TABLE = "bench_value_purchase"
# Where the generator records what it generated (for --reuse and the case).
PARAM = "crm_lifecycle_bench.value"
LIFETIMES_DIR = Path(
    os.environ.get("BENCH_LIFETIMES_DIR") or REPO / ".cache" / "bench-lifetimes"
)

# Per customer: x, t_x and T in days, mean repeat spend. One row per
# (customer, day) in the table: the first day's amount is the one of the
# smallest (day, amount) pair.
EXTRACT_SQL = """
    SELECT customer,
           (COUNT(*) - 1)::int4 AS x,
           (MAX(day) - MIN(day))::int4 AS t_days,
           (%(as_of)s::date - MIN(day))::int4 AS age_days,
           CASE WHEN COUNT(*) > 1
                THEN ((SUM(amount)
                       - (MIN(ARRAY[day - DATE '2000-01-01', amount]))[2])
                      / (COUNT(*) - 1))::float8
                ELSE 0::float8 END AS m
      FROM bench_value_purchase
     WHERE day <= %(as_of)s
  GROUP BY customer
"""


def _log(message):
    print(f"value: {message}", flush=True)


def customers_count():
    return int(os.environ.get("CUSTOMERS") or DEFAULT_CUSTOMERS)


def value_model():
    """``crm_lifecycle/lib/value_model.py`` as a plain module (no Odoo)."""
    path = str(REPO / "crm_lifecycle")
    if path not in sys.path:
        sys.path.insert(0, path)
    from lib import value_model as vm

    return vm


# ----------------------------------------------------------------------------
# Generator
# ----------------------------------------------------------------------------


def simulate(customers, seed=SEED):
    """Purchase occasions of ``customers`` BG/NBD + Gamma-Gamma customers.

    Return ``(customer, days_before, amount)`` arrays, one row per purchase
    occasion (distinct day), ``days_before`` the as-of date minus the day.
    """
    rng = np.random.default_rng(seed)
    g = TRUE_BGNBD
    age = rng.integers(0, HISTORY_DAYS + 1, customers)  # days since first purchase
    rate = rng.gamma(g["r"], 1.0 / g["alpha"], customers)  # purchases per week
    dropout = rng.beta(g["a"], g["b"], customers)
    nu = rng.gamma(TRUE_GG["q"], 1.0 / TRUE_GG["v"], customers)
    # Repeat purchases: exponential gaps while alive; after each purchase the
    # customer dies with its dropout probability.
    clock = np.zeros(customers)
    active = np.arange(customers)
    who, offsets = [active], [np.zeros(customers, dtype=np.int64)]
    while active.size:
        clock[active] += rng.exponential(1.0, active.size) / rate[active]
        offset = np.rint(clock[active] * 7.0)
        inside = offset <= age[active]
        active = active[inside]
        who.append(active)
        offsets.append(offset[inside].astype(np.int64))
        active = active[rng.random(active.size) >= dropout[active]]
    who = np.concatenate(who)
    offsets = np.concatenate(offsets)
    amounts = rng.gamma(TRUE_GG["p"], 1.0 / nu[who])
    # One occasion per (customer, day): sum the amounts of a day.
    key = who.astype(np.int64) * (HISTORY_DAYS + 1) + offsets
    order = np.argsort(key, kind="stable")
    key, amounts = key[order], amounts[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    key = key[starts]
    amounts = np.maximum(np.round(np.add.reduceat(amounts, starts), 2), 0.01)
    customer, offset = np.divmod(key, HISTORY_DAYS + 1)
    return customer.astype(np.int32), (age[customer] - offset).astype(np.int32), amounts


def figures(customer, days_before, amount, customers):
    """In-memory equivalent of :data:`EXTRACT_SQL` (rows sorted by customer
    and day, as :func:`simulate` returns them): ``(x, t_days, T_days, m)``."""
    counts = np.bincount(customer, minlength=customers)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    last = first + counts - 1
    x = (counts - 1).astype(float)
    age = days_before[first].astype(float)
    t_days = age - days_before[last]
    total = np.bincount(customer, weights=amount, minlength=customers)
    m = np.where(x > 0, (total - amount[first]) / np.maximum(x, 1), 0.0)
    return x, t_days, age, m


def _copy_binary(rows):
    """PostgreSQL binary COPY stream of ``(customer int4, day date, amount
    float8)`` rows."""
    customer, day, amount = rows
    record = np.dtype(
        [
            ("fields", ">i2"),
            ("l1", ">i4"),
            ("customer", ">i4"),
            ("l2", ">i4"),
            ("day", ">i4"),
            ("l3", ">i4"),
            ("amount", ">f8"),
        ]
    )
    data = np.empty(len(customer), dtype=record)
    data["fields"], data["l1"], data["l2"], data["l3"] = 3, 4, 4, 8
    data["customer"], data["day"], data["amount"] = customer, day, amount
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    return io.BytesIO(header + data.tobytes() + struct.pack(">h", -1))


def load(cnx, as_of, customers):
    """Generate the histories and load them into :data:`TABLE` (``cnx``: an
    autocommit connection)."""
    started = time.perf_counter()
    customer, days_before, amount = simulate(customers)
    generated_s = time.perf_counter() - started
    epoch = (as_of - datetime.date(2000, 1, 1)).days
    with cnx.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cur.execute(
            f"CREATE TABLE {TABLE} (customer int4 NOT NULL, day date NOT NULL, "
            "amount float8 NOT NULL)"
        )
        load_start = time.perf_counter()
        stream = _copy_binary((customer + 1, epoch - days_before, amount))
        cur.copy_expert(f"COPY {TABLE} FROM STDIN (FORMAT binary)", stream)
        cur.execute(f"ALTER TABLE {TABLE} ALTER COLUMN amount TYPE numeric(12, 2)")
        cur.execute(f"ANALYZE {TABLE}")
    _log(
        f"generated customers={customers} occasions={len(customer)} as_of={as_of} "
        f"in {generated_s:.1f}s, loaded in {time.perf_counter() - load_start:.1f}s"
    )
    return len(customer)


def prepare(env, args):
    """Generate the data (or reuse it); return the case's context."""
    customers = customers_count()
    stored = env["ir.config_parameter"].sudo().get_param(PARAM)
    if args.reuse and stored:
        context = json.loads(stored)
        if context["customers"] == customers:
            _log(f"reusing customers={customers} as_of={context['as_of']}")
            return context
    from run import pg_connect

    as_of = datetime.date.today()
    cnx = pg_connect(args)
    try:
        occasions = load(cnx, as_of, customers)
    finally:
        cnx.close()
    context = {"customers": customers, "occasions": occasions, "as_of": str(as_of)}
    env["ir.config_parameter"].sudo().set_param(PARAM, json.dumps(context))
    env.cr.commit()
    return context


# ----------------------------------------------------------------------------
# The case
# ----------------------------------------------------------------------------


def extract(cnx, as_of):
    """Run :data:`EXTRACT_SQL`; ``(x, t_days, T_days, m)`` float arrays."""
    buffer = io.BytesIO()
    with cnx.cursor() as cur:
        query = cur.mogrify(EXTRACT_SQL, {"as_of": as_of}).decode()
        cur.copy_expert(f"COPY ({query}) TO STDOUT (FORMAT binary)", buffer)
    raw = buffer.getvalue()
    record = np.dtype(
        [("fields", ">i2")]
        + [(f"{name}{part}", ">i4") for name in ("c", "x", "t", "T") for part in "lv"]
        + [("ml", ">i4"), ("m", ">f8")]
    )
    header = 19 + struct.unpack(">i", raw[15:19])[0]
    count = (len(raw) - header - 2) // record.itemsize
    rows = np.frombuffer(raw, dtype=record, count=count, offset=header)
    if count and not (np.all(rows["fields"] == 5) and np.all(rows["ml"] == 8)):
        raise RuntimeError("unexpected binary COPY layout (NULL in the figures?)")
    return tuple(rows[f].astype(float) for f in ("xv", "tv", "Tv", "m"))


def fit_ours(x, t_days, age_days, m):
    """``value_model.fit`` on weeks; ``(fit, seconds)``."""
    vm = value_model()
    started = time.perf_counter()
    result = vm.fit(x, t_days / 7.0, age_days / 7.0, m)
    return result, time.perf_counter() - started


def fit_lifetimes(x, t_days, age_days, m):
    """lifetimes 0.11.3 on the same collapsed rows with weights (and the same
    repeat buyers for Gamma-Gamma); ``(seconds, params or None, error)``."""
    vm = value_model()
    (cx, ct, cT), weights = vm.collapse(x, t_days / 7.0, age_days / 7.0)
    spenders = (x > 0) & (m > 0)
    if LIFETIMES_DIR.is_dir() and str(LIFETIMES_DIR) not in sys.path:
        sys.path.insert(0, str(LIFETIMES_DIR))
    try:
        from lifetimes import BetaGeoFitter, GammaGammaFitter
    except ImportError as exc:
        _log(f"lifetimes not importable ({exc}): lifetimes_s=n/a")
        return None, None, f"import: {exc}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()
        bgf = BetaGeoFitter().fit(cx.astype(int), ct, cT, weights=weights)
        ggf = GammaGammaFitter().fit(
            x[spenders].astype(int), m[spenders], weights=np.ones(spenders.sum())
        )
        seconds = time.perf_counter() - started
    params = {**bgf.params_.to_dict(), **ggf.params_.to_dict()}
    return seconds, params, None


def max_param_error(params):
    return max(abs(getattr(params, k) / v - 1.0) for k, v in TRUE_BGNBD.items())


def measure(x, t_days, age_days, m, extract_s=None):
    """Fit with both libraries; the result dict of the case."""
    fit, fit_s = fit_ours(x, t_days, age_days, m)
    _log(
        f"fit method={fit.method} bgnbd={fit.bgnbd} gamma_gamma={fit.gamma_gamma} "
        f"warnings={fit.warnings}"
    )
    lifetimes_s, lifetimes_params, error = fit_lifetimes(x, t_days, age_days, m)
    if lifetimes_params:
        rounded = {name: round(value, 6) for name, value in lifetimes_params.items()}
        _log(f"lifetimes params={rounded}")
    return {
        "case": "fit",
        "customers": int(len(x)),
        "extract_s": extract_s,
        "fit_s": fit_s,
        "lifetimes_s": lifetimes_s,
        "lifetimes_error": error,
        "method": fit.method,
        "max_param_error": max_param_error(fit.bgnbd) if fit.bgnbd else None,
    }


def run_case(registry, args, case, context):
    from run import pg_connect

    del registry, case  # the case reads the table, not Odoo
    cnx = pg_connect(args)
    try:
        # untimed warm-up: the table's pages in the cache, as for a nightly run
        with cnx.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {TABLE}")
        started = time.perf_counter()
        x, t_days, age_days, m = extract(cnx, context["as_of"])
        extract_s = time.perf_counter() - started
    finally:
        cnx.close()
    return measure(x, t_days, age_days, m, extract_s)


def _seconds(value):
    return "n/a" if value is None else f"{value:.2f}"


def format_line(result):
    if "error" in result:
        return f"value: case={result['case']} error={result['error']!r}"
    speedup = (
        f"{result['lifetimes_s'] / result['fit_s']:.1f}"
        if result["lifetimes_s"] and result["fit_s"]
        else "n/a"
    )
    error = result["max_param_error"]
    return (
        f"value: customers={result['customers']} "
        f"extract_s={_seconds(result['extract_s'])} fit_s={result['fit_s']:.2f} "
        f"lifetimes_s={_seconds(result['lifetimes_s'])} speedup={speedup} "
        f"max_param_error={'n/a' if error is None else f'{error:.3f}'}"
    )


def failed(result):
    return (
        "error" in result
        or result["max_param_error"] is None
        or result["max_param_error"] > MAX_PARAM_ERROR
    )


def main():
    """Standalone: generate in memory, no database (``extract_s=n/a``)."""
    parser = argparse.ArgumentParser(description="value case without a database")
    parser.add_argument("--customers", type=int, default=customers_count())
    args = parser.parse_args()
    started = time.perf_counter()
    customer, days_before, amount = simulate(args.customers)
    _log(
        f"generated customers={args.customers} occasions={len(customer)} "
        f"in {time.perf_counter() - started:.1f}s"
    )
    result = measure(*figures(customer, days_before, amount, args.customers))
    print(format_line(result), flush=True)
    sys.exit(1 if failed(result) else 0)


if __name__ == "__main__":
    main()
