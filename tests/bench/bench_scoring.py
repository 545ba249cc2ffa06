#!/usr/bin/env python3
"""Benchmark of the crm_lifecycle scoring job against a raw-SQL floor.

Creates a database with crm_lifecycle installed (no demo data), fills it with
synthetic customers and posted invoices by bulk SQL, runs the scoring job
(``crm.lifecycle.profile._cron_recompute_lifecycle``) and, in the same
process, the floor: the bare aggregate query of the same figures plus one
bulk write of the same result rows (rolled back). The last line reads::

    scoring: partners=N invoices=M job_s=X floor_s=Y ratio=Z peak_rss_mb=W

Usage: bench_scoring.py --partners 10000 --invoices 100000 \
           --db-host 127.0.0.1 --db-port 5432 [--db-user odoo] [--database NAME]
"""

import argparse
import datetime
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

FLOOR_WRITE = """
    UPDATE crm_lifecycle_profile AS p
       SET first_purchase_date = f.first_purchase_date,
           last_purchase_date = f.last_purchase_date,
           purchase_count = f.purchase_count,
           purchase_count_12m = f.purchase_count_12m,
           invoice_count = f.invoice_count,
           revenue_total = f.revenue_total,
           revenue_12m = f.revenue_12m,
           avg_order_value = f.avg_order_value,
           avg_interval_days = f.avg_interval_days,
           lifespan_days = f.lifespan_days,
           has_open_opportunity = f.has_open_opportunity,
           write_date = NOW() AT TIME ZONE 'UTC'
      FROM floor_result f
     WHERE p.partner_id = f.partner_id AND p.company_id = %(company)s
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10000)
    parser.add_argument("--invoices", type=int, default=100000)
    parser.add_argument("--db-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--db-port", default=os.environ.get("PGPORT", "5432"))
    parser.add_argument("--db-user", default=os.environ.get("PGUSER", "odoo"))
    parser.add_argument("--database", default="lifecycle_bench")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Reuse the database of a previous run: keep its synthetic invoices, "
        "drop its lifecycle profiles, history and runs.",
    )
    return parser.parse_args()


def odoo_args(args):
    import odoo

    addons = [os.path.join(os.path.dirname(odoo.__file__), "addons"), str(REPO)]
    extra = os.environ.get("ODOO_ADDONS_PATH")
    if extra:
        addons.insert(0, extra)
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
        ",".join(addons),
    ]


def install(args):
    """Create the database with crm_lifecycle, in a child process."""
    import odoo  # noqa: F401 - fail early with a clear import error

    command = [
        sys.executable,
        "-m",
        "odoo",
        *odoo_args(args),
        "-i",
        "crm_lifecycle",
        "--without-demo=all",
        "--stop-after-init",
        "--no-http",
        "--log-level=warn",
    ]
    print("installing crm_lifecycle into", args.database, flush=True)
    subprocess.run(command, check=True)


def generate(cr, company_id, partners, invoices):
    """Bulk-insert synthetic customers and customer invoices (valid rows)."""
    cr.execute("SELECT setseed(0.42)")
    cr.execute(
        """
        INSERT INTO res_partner (name, complete_name, is_company, active, type,
                                 autopost_bills, customer_rank, create_date,
                                 write_date)
        SELECT 'Bench ' || n, 'Bench ' || n, TRUE, TRUE, 'contact',
               'ask', 1, NOW(), NOW()
          FROM generate_series(1, %s) n
        RETURNING id
        """,
        [partners],
    )
    ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", [ids]
    )
    cr.execute(
        """SELECT id, currency_id FROM account_journal
            WHERE type = 'sale' AND company_id = %s LIMIT 1""",
        [company_id],
    )
    journal = cr.fetchone()
    if journal:
        journal_id, currency_id = journal
    else:
        cr.execute(
            """
            INSERT INTO account_journal (name, code, type, company_id, sequence,
                                         invoice_reference_type,
                                         invoice_reference_model, active)
            VALUES ('{"en_US": "Bench Sales"}', 'BNCH', 'sale', %s, 1,
                    'invoice', 'odoo', TRUE)
            RETURNING id, currency_id
            """,
            [company_id],
        )
        journal_id, currency_id = cr.fetchone()
    if not currency_id:
        cr.execute("SELECT currency_id FROM res_company WHERE id = %s", [company_id])
        currency_id = cr.fetchone()[0]
    # Invoices spread over three years; 8% refunds, 3% cancelled, 2% draft.
    cr.execute(
        """
        INSERT INTO account_move (name, move_type, state, auto_post, date,
                                  invoice_date, journal_id, company_id,
                                  currency_id, partner_id, commercial_partner_id,
                                  amount_untaxed, amount_untaxed_signed,
                                  amount_total, amount_total_signed,
                                  create_date, write_date)
        SELECT 'BENCH/' || n, kind, state, 'no', day, day, %(journal)s,
               %(company)s, %(currency)s, partner, partner,
               amount, CASE WHEN kind = 'out_refund' THEN -amount ELSE amount END,
               amount, CASE WHEN kind = 'out_refund' THEN -amount ELSE amount END,
               NOW(), NOW()
          FROM (
            SELECT n,
                   (%(ids)s::int[])[1 + floor(random() * %(count)s)::int] AS partner,
                   CURRENT_DATE - floor(random() * 1095)::int AS day,
                   round((50 + random() * 5000)::numeric, 2) AS amount,
                   CASE WHEN random() < 0.08 THEN 'out_refund'
                        ELSE 'out_invoice' END AS kind,
                   CASE WHEN r < 0.03 THEN 'cancel'
                        WHEN r < 0.05 THEN 'draft'
                        ELSE 'posted' END AS state
              FROM (SELECT n, random() AS r
                      FROM generate_series(1, %(invoices)s) n) s
          ) rows
        """,
        {
            "journal": journal_id,
            "company": company_id,
            "currency": currency_id,
            "ids": ids,
            "count": len(ids),
            "invoices": invoices,
        },
    )
    cr.execute("ANALYZE res_partner")
    cr.execute("ANALYZE account_move")


def floor(env, company):
    """The bare aggregate (the job's own figures query, run once for the
    whole company) plus one bulk write of its rows, rolled back."""
    sql, params = env["crm.lifecycle.profile"]._lifecycle_figures_query(
        company, datetime.date.today()
    )
    start = time.perf_counter()
    env.cr.execute(f"CREATE TEMP TABLE floor_result AS {sql}", params)  # noqa: S608
    env.cr.execute(FLOOR_WRITE, {"company": company.id})
    elapsed = time.perf_counter() - start
    env.cr.rollback()
    return elapsed


def main():
    args = parse_args()
    try:
        import odoo
        from odoo import SUPERUSER_ID, api
        from odoo.modules.registry import Registry
    except ImportError as exc:
        sys.exit(f"Odoo 18.0 is not importable by {sys.executable}: {exc}")

    if not args.reuse:
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
        install(args)
    odoo.tools.config.parse_config(odoo_args(args))
    registry = Registry(args.database)

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company_id = env.ref("base.main_company").id
        cr.execute("SELECT COUNT(*) FROM account_move WHERE name LIKE 'BENCH/%%'")
        if args.reuse and cr.fetchone()[0]:
            cr.execute(
                "DELETE FROM crm_lifecycle_history; DELETE FROM crm_lifecycle_run; "
                "DELETE FROM crm_lifecycle_profile;"
            )
            cr.commit()
            cr.execute("ANALYZE crm_lifecycle_profile")
            print("reusing the synthetic data", flush=True)
        else:
            start = time.perf_counter()
            generate(cr, company_id, args.partners, args.invoices)
            cr.commit()
            print(f"generated in {time.perf_counter() - start:.1f}s", flush=True)
        # Warm the cache with one untimed aggregate, as a nightly run finds it.
        sql, params = env["crm.lifecycle.profile"]._lifecycle_figures_query(
            env["res.company"].browse(company_id), datetime.date.today()
        )
        cr.execute(f"SELECT COUNT(*) FROM ({sql}) warm", params)  # noqa: S608
        cr.rollback()

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        env["crm.lifecycle.profile"]._cron_recompute_lifecycle()
        cr.commit()
        job_s = time.perf_counter() - start
        cr.execute("SELECT COUNT(*), COUNT(stage_id) FROM crm_lifecycle_profile")
        profiles, staged = cr.fetchone()
        print(f"first run: profiles={profiles} staged={staged} job_s={job_s:.2f}")

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        runs = env["crm.lifecycle.profile"]._cron_recompute_lifecycle()
        cr.commit()
        rerun_s = time.perf_counter() - start
        print(
            f"second run (nothing changed): job_s={rerun_s:.2f} "
            f"changed={sum(runs.mapped('changed_count'))}"
        )

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        floor_s = floor(env, env["res.company"].browse(company_id))

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"scoring: partners={args.partners} invoices={args.invoices} "
        f"job_s={job_s:.2f} floor_s={floor_s:.2f} ratio={job_s / floor_s:.2f} "
        f"peak_rss_mb={peak_rss_mb:.0f}"
    )


if __name__ == "__main__":
    main()
