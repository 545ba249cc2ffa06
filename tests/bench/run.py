#!/usr/bin/env python3
"""Nightly benchmark runner: one generated database, many cases.

``make bench`` (``tools/bench.sh``) starts a throwaway PostgreSQL cluster and
runs this script. It creates one database with ``crm_lifecycle`` (no demo
data), lets each selected case family (one module ``case_<family>.py`` next
to this file) generate its data, then runs the family's cases in order, each
in its OWN CHILD PROCESS (a fresh interpreter started with ``--child``), so
that the peak RSS a case reports is its own. Each case prints a line
``case done: ...`` as soon as it ends; the summary lines come last, in the
family's summary order (for ``scoring``: next_day, unchanged, first). The
exit status is non-zero when a case failed or found mismatches.

Usage::

    run.py --partners 10000 --invoices 100000 --db-host H --db-port P
           [--cases scoring,...] [--reuse] [--generate-only]

Families: ``scoring`` (the job), ``value`` (the value model's fit), ``kpi``
(the KPI reports' refresh and default pivots, on the ``scoring`` family's
data: ``CASES=scoring,kpi``; see ``case_kpi.py``).

``--cases`` (``CASES=`` of ``make bench``) selects families (``scoring``) or
single cases (``scoring:first``); a case builds on the cases before it in its
family, so pick single cases only with ``--reuse`` on a database where those
ran. ``--reuse`` keeps the generated data of a previous run (the family
removes what its cases added: profiles, history, runs, next-day invoices).

The big run (1M customers, 10M invoices; the generator took 530s, i.e. 1M
customers 30s, 10 chunks of 1M invoices 360s, 18 indexes 140s, and the
database 4.7 GB, on 2 shared cores; watch the log)::

    PARTNERS=1000000 INVOICES=10000000 make bench > /tmp/bench-big.log 2>&1 &

``BENCH_PROFILE=<dir>`` profiles each scoring job with cProfile into
``<dir>/<case>.prof`` (read with ``python3 -m pstats``)::

    BENCH_PROFILE=/tmp/prof CASES=scoring make bench

and the generator alone (prints ``generated ... in Xs`` and ``db_size_mb=``)::

    PARTNERS=1000000 INVOICES=10000000 bash tools/bench.sh --generate-only
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# Case families, in the order they run.
FAMILIES = ["scoring", "value", "kpi", "dunning"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10000)
    parser.add_argument("--invoices", type=int, default=100000)
    parser.add_argument(
        "--cases",
        default=os.environ.get("CASES") or ",".join(FAMILIES),
        help="comma-separated families or family:case (default: all)",
    )
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--db-port", default=os.environ.get("PGPORT", "5432"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "odoo"))
    parser.add_argument("--database", default="lifecycle_bench")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the generated data of a previous run (drop what the "
        "cases added: profiles, history, runs, next-day invoices)",
    )
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="generate the data, print its sizes and the database size, stop",
    )
    # internal: run one case in this (child) process
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--context", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def odoo_args(args):
    import odoo

    addons = os.environ.get("ODOO_ADDONS_PATH_FULL")
    if not addons:
        paths = [os.path.join(os.path.dirname(odoo.__file__), "addons"), str(REPO)]
        if os.environ.get("ODOO_ADDONS_PATH"):
            paths.append(os.environ["ODOO_ADDONS_PATH"])
        addons = ",".join(paths)
    return [
        "-d",
        args.database,
        "--db_host",
        args.db_host,
        "--db_port",
        str(args.db_port),
        "--db_user",
        args.db_user,
        "--addons-path",
        addons,
        "--log-level=warn",
    ]


def open_registry(args):
    """Odoo configured for the bench database; return its registry."""
    try:
        import odoo
        from odoo.modules.registry import Registry
    except ImportError as exc:
        sys.exit(f"Odoo 18.0 is not importable by {sys.executable}: {exc}")
    odoo.tools.config.parse_config(odoo_args(args))
    return Registry(args.database)


def environment(cr):
    from odoo import SUPERUSER_ID, api

    return api.Environment(cr, SUPERUSER_ID, {})


def pg_connect(args):
    """A plain autocommit connection (VACUUM, sizes) to the bench database."""
    import psycopg2

    cnx = psycopg2.connect(
        host=args.db_host, port=args.db_port, user=args.db_user, dbname=args.database
    )
    cnx.autocommit = True
    return cnx


def db_size_mb(args):
    cnx = pg_connect(args)
    try:
        with cnx.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            return cur.fetchone()[0] / 1024 / 1024
    finally:
        cnx.close()


def install(args):
    """Drop the database and create it with crm_lifecycle (and the modules
    the selected families need: their ``MODULES``), in a child process."""
    modules = ["crm_lifecycle"]
    for family in selected_cases(args.cases):
        for module in getattr(family_module(family), "MODULES", []):
            if module not in modules:
                modules.append(module)
    subprocess.run(
        [
            "dropdb",
            "--if-exists",
            "-h",
            args.db_host,
            "-p",
            str(args.db_port),
            "-U",
            args.db_user,
            args.database,
        ],
        check=True,
    )
    command = [
        sys.executable,
        "-m",
        "odoo",
        *odoo_args(args),
        "-i",
        ",".join(modules),
        "--without-demo=all",
        "--stop-after-init",
        "--no-http",
    ]
    print("installing", ",".join(modules), "into", args.database, flush=True)
    subprocess.run(command, check=True)


def selected_cases(spec):
    """``{family: [case, ...] or None (all)}`` in the order of FAMILIES."""
    wanted = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        family, _sep, case = item.partition(":")
        if family not in FAMILIES:
            sys.exit(f"unknown case family {family!r} (known: {', '.join(FAMILIES)})")
        if case:
            if wanted.get(family, []) is not None:
                wanted.setdefault(family, []).append(case)
        else:
            wanted[family] = None
    return {family: wanted[family] for family in FAMILIES if family in wanted}


def family_module(family):
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return importlib.import_module(f"case_{family}")


def run_child(args, family, case, context):
    """Run ``family:case`` in a fresh interpreter; return its result dict."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        result_file = handle.name
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        f"{family}:{case}",
        "--context",
        json.dumps(context),
        "--result-file",
        result_file,
        "--database",
        args.database,
        "--db-host",
        args.db_host,
        "--db-port",
        str(args.db_port),
        "--db-user",
        args.db_user,
    ]
    try:
        done = subprocess.run(command, check=False)
        text = Path(result_file).read_text()
        if done.returncode or not text:
            return {"case": case, "error": f"child exited with {done.returncode}"}
        return json.loads(text)
    finally:
        os.unlink(result_file)


def child_main(args):
    family, _sep, case = args.child.partition(":")
    module = family_module(family)
    registry = open_registry(args)
    result = module.run_case(registry, args, case, json.loads(args.context))
    Path(args.result_file).write_text(json.dumps(result))


def main():
    args = parse_args()
    if args.child:
        child_main(args)
        return
    plan = selected_cases(args.cases)
    if not plan:
        sys.exit("no case selected")
    if not args.reuse:
        install(args)
    # The throwaway cluster runs with synchronous_commit=off (and fsync=off,
    # which stays): the job and the floor commit as in production.
    cnx = pg_connect(args)
    with cnx.cursor() as cur:
        cur.execute(f'ALTER DATABASE "{args.database}" SET synchronous_commit = on')
    cnx.close()
    registry = open_registry(args)
    contexts = {}
    for family in plan:
        module = family_module(family)
        with registry.cursor() as cr:
            contexts[family] = module.prepare(environment(cr), args)
            cr.commit()
    print(f"db_size_mb={db_size_mb(args):.0f}", flush=True)
    if args.generate_only:
        return
    failed = False
    summary = []
    for family, cases in plan.items():
        module = family_module(family)
        results = {}
        for case in cases or module.CASES:
            if case not in module.CASES:
                sys.exit(f"unknown case {family}:{case} (known: {module.CASES})")
            result = run_child(args, family, case, contexts[family])
            results[case] = result
            print(f"case done: {module.format_line(result)}", flush=True)
            failed |= module.failed(result)
        order = [case for case in module.SUMMARY_ORDER if case in results]
        summary += [module.format_line(results[case]) for case in order]
    for line in summary:
        print(line, flush=True)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
