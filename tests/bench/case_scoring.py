"""Scoring cases of the nightly benchmark (family ``scoring``).

Data (generated once per database by :func:`prepare`): ``--partners``
customers and ``--invoices`` customer invoices (8% refunds, 3% cancelled, 2%
draft) dated from the as-of date D (today, when generated) back three years.
Each customer buys within its own window (first purchase 30 to 1095 days
before D; one in five stopped buying some time ago), so the stages spread
over new, active, loyal, at risk and churned. The load is set-based SQL in
chunks of :data:`CHUNK` invoices, one commit each, with the non-unique
indexes of ``account_move`` dropped during the load and recreated after it.

Cases, in this order, on the same database, each in its own child process:

``first``
    the first run as of D: no profiles yet.
``next_day``
    as of D + 1, after inserting :data:`NEW_INVOICE_RATE` of ``--invoices``
    new posted invoices dated D + 1: :data:`NEW_CUSTOMER_SHARE` of them for
    new customers (one invoice each), the others for existing customers.
``unchanged``
    a rerun as of D + 1 with nothing changed.

Each case runs in its child: one untimed aggregate (a warm cache, as a
nightly run finds it), then the job (:func:`run_job`, timed), then the floor
(timed; fixed SQL of this module, none of the addon's methods: the bare
aggregate of the figures plus ONE bulk write, into the real tables with
their constraints, of the rows that the job really changed, rolled back: the
profiles it created are removed first, untimed, so that the floor inserts
them and their first history rows, and the profiles it updated are updated;
see :data:`FLOOR_FIRST_SQL` and :data:`FLOOR_NEXT_SQL`), an untimed VACUUM of
the profile and history tables (the rolled-back floor leaves dead rows), and
:func:`count_mismatches`, which compares every profile with a from-scratch
scoring as of the same date. ``peak_rss_mb`` is the child's peak RSS right
after the job (Odoo's registry included). The generator ends as a live
database would be: the addon's invoice index built as its one-shot job
builds it, ``account_move`` vacuumed.
"""

import datetime
import json
import os
import re
import resource
import sys
import time

from dateutil.relativedelta import relativedelta

# The pipeline as installed with collections: its payment behaviour and
# financial-risk steps (50, 60) run in every case. The generated invoices
# have no journal items: those steps find no receivables here; the dunning
# family's data has them.
MODULES = ["crm_collections"]

CASES = ["first", "next_day", "unchanged"]
# Summary lines at the end of `make bench`: the first run last.
SUMMARY_ORDER = ["next_day", "unchanged", "first"]

# Invoices per INSERT ... SELECT of the generator (one commit each).
CHUNK = 1_000_000
# next_day: new posted invoices, as a share of --invoices ...
NEW_INVOICE_RATE = 0.005
# ... of which this share goes to new customers (one invoice each).
NEW_CUSTOMER_SHARE = 0.2
# Where the generator records what it generated (for --reuse and the cases).
PARAM = "crm_lifecycle_bench.scoring"
# Columns the generator fills in account_move: a partial index on
# "<other column> IS NOT NULL" never gets a generated row and is kept.
MOVE_COLUMNS = {
    "name",
    "move_type",
    "state",
    "auto_post",
    "date",
    "invoice_date",
    "journal_id",
    "company_id",
    "currency_id",
    "partner_id",
    "commercial_partner_id",
    "amount_untaxed",
    "amount_untaxed_signed",
    "amount_total",
    "amount_total_signed",
    "create_date",
    "write_date",
}

# ----------------------------------------------------------------------------
# Floor: fixed SQL, a copy of the figures of the job (crm_lifecycle's
# _lifecycle_figures_query without the opportunity prospects: the bench
# creates no crm_lead). Keep it in step with the job's figures by hand.
# ----------------------------------------------------------------------------

FIGURES_SQL = """
    SELECT partner_id, first_purchase_date, last_purchase_date, purchase_count,
           purchase_count_12m, invoice_count, revenue_total, revenue_12m,
           CASE WHEN invoice_count > 0
                THEN ROUND(revenue_total / invoice_count, %(digits)s)
                ELSE 0 END AS avg_order_value,
           CASE WHEN purchase_count > 1
                THEN ROUND((last_purchase_date - first_purchase_date)::numeric
                           / (purchase_count - 1), 1)
                ELSE 0 END AS avg_interval_days,
           COALESCE(last_purchase_date - first_purchase_date, 0) AS lifespan_days
      FROM (
        SELECT commercial_partner_id AS partner_id,
               MIN(invoice_date) FILTER (WHERE move_type = 'out_invoice')
                   AS first_purchase_date,
               MAX(invoice_date) FILTER (WHERE move_type = 'out_invoice')
                   AS last_purchase_date,
               COUNT(DISTINCT invoice_date) FILTER (WHERE move_type = 'out_invoice')
                   AS purchase_count,
               COUNT(DISTINCT invoice_date)
                   FILTER (WHERE move_type = 'out_invoice'
                             AND invoice_date > %(since)s) AS purchase_count_12m,
               COUNT(*) FILTER (WHERE move_type = 'out_invoice') AS invoice_count,
               ROUND(COALESCE(SUM(amount_untaxed_signed), 0), %(digits)s)
                   AS revenue_total,
               ROUND(COALESCE(SUM(amount_untaxed_signed)
                         FILTER (WHERE invoice_date > %(since)s), 0),
                     %(digits)s) AS revenue_12m
          FROM account_move
         WHERE company_id = %(company)s
           AND state = 'posted'
           AND move_type IN ('out_invoice', 'out_refund')
           AND commercial_partner_id IS NOT NULL
           AND invoice_date <= %(today)s
      GROUP BY commercial_partner_id
      ) AS invoiced
"""

WARM_SQL = f"SELECT COUNT(*) FROM ({FIGURES_SQL}) AS warm"  # noqa: S608

FIGURE_COLUMNS = [
    "first_purchase_date",
    "last_purchase_date",
    "purchase_count",
    "purchase_count_12m",
    "invoice_count",
    "revenue_total",
    "revenue_12m",
    "avg_order_value",
    "avg_interval_days",
    "lifespan_days",
]
_SET = ",\n                   ".join(f"{c} = f.{c}" for c in FIGURE_COLUMNS)
_DIFFERS = "\n                    OR ".join(
    f"p.{c} IS DISTINCT FROM f.{c}" for c in FIGURE_COLUMNS
)
_COLUMNS = ", ".join(FIGURE_COLUMNS)
_VALUES = ", ".join(f"f.{c}" for c in FIGURE_COLUMNS)

# The floor's write is ONE statement of data-modifying CTEs over the figures.
_STAGES = """
    stages AS (
        SELECT array_agg(id ORDER BY sequence, id) AS ids,
               array_agg(kind ORDER BY sequence, id) AS kinds,
               array_agg(sequence ORDER BY sequence, id) AS sequences
          FROM crm_lifecycle_stage
         WHERE active
    )"""
# Insert profiles (all figures and a valid stage) from figures f ... WHERE
# {condition}, then their first history rows.
_INSERT = f"""
    inserted AS (
        INSERT INTO crm_lifecycle_profile
               (partner_id, company_id, {_COLUMNS}, has_open_opportunity,
                stage_id, stage_kind, stage_sequence, stage_date,
                create_uid, create_date, write_uid, write_date)
        SELECT f.partner_id, %(company)s, {_VALUES}, FALSE,
               s.ids[1 + mod(f.partner_id, cardinality(s.ids))],
               s.kinds[1 + mod(f.partner_id, cardinality(s.ids))],
               s.sequences[1 + mod(f.partner_id, cardinality(s.ids))],
               %(today)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
               %(uid)s, NOW() AT TIME ZONE 'UTC'
          FROM figures AS f CROSS JOIN stages AS s
         WHERE {{condition}}
     RETURNING id, partner_id, stage_id, stage_kind, last_purchase_date
    ), history AS (
        INSERT INTO crm_lifecycle_history
               (profile_id, partner_id, company_id, to_stage_id, to_kind, origin,
                reason, date, duration_days, user_id, create_uid, create_date,
                write_uid, write_date)
        SELECT id, partner_id, %(company)s, stage_id, stage_kind, 'engine',
               COALESCE('Last purchase ' || (%(today)s::date - last_purchase_date)
                        || ' days ago', 'No purchase yet'),
               %(now)s, 0, %(uid)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
               %(uid)s, NOW() AT TIME ZONE 'UTC'
          FROM inserted
     RETURNING 1
    )"""  # noqa: S608 - constant SQL

# First run (the company has no profile): INSERT every profile and its first
# history row. Returns (updated, inserted, history rows).
FLOOR_FIRST_SQL = f"""
    WITH figures AS ({FIGURES_SQL}), {_STAGES},
    {_INSERT.format(condition="TRUE")}
    SELECT 0, (SELECT COUNT(*) FROM inserted), (SELECT COUNT(*) FROM history)
"""  # noqa: S608 - constant SQL

# Later runs: UPDATE the profiles that the job changed (``%(changed_ids)s``,
# whatever changed in them: figures, scores or stage), INSERT the new
# customers' profiles and their first history rows; unchanged data writes
# nothing. Returns (updated, inserted, history rows).
FLOOR_NEXT_SQL = f"""
    WITH figures AS MATERIALIZED ({FIGURES_SQL}), {_STAGES},
    updated AS (
        UPDATE crm_lifecycle_profile AS p
           SET {_SET},
               has_open_opportunity = FALSE,
               write_uid = %(uid)s,
               write_date = NOW() AT TIME ZONE 'UTC'
          FROM figures AS f
         WHERE p.partner_id = f.partner_id
           AND p.company_id = %(company)s
           AND p.id = ANY(%(changed_ids)s)
     RETURNING p.id
    ),
    {
    _INSERT.format(
        condition="NOT EXISTS (SELECT 1 FROM crm_lifecycle_profile AS p "
        "WHERE p.partner_id = f.partner_id AND p.company_id = %(company)s)"
    )
}
    SELECT (SELECT COUNT(*) FROM updated), (SELECT COUNT(*) FROM inserted),
           (SELECT COUNT(*) FROM history)
"""  # noqa: S608 - constant SQL


def floor_params(company_id, digits, today, uid):
    return {
        "company": company_id,
        "digits": digits,
        "today": today,
        "since": today - relativedelta(years=1),
        "uid": uid,
        "now": datetime.datetime.combine(today, datetime.time(3)),
    }


# ----------------------------------------------------------------------------
# The job: one small function per call.
# ----------------------------------------------------------------------------


def run_job(env, today):
    """Run the scoring job as of ``today``; return its run records. (The
    refresh of the KPI reports that the job triggers is a scheduled action of
    its own, timed by the ``kpi`` family: ``kpi: report=refresh``.)"""
    return env["crm.lifecycle.run"]._cron_lifecycle_scoring(today=today)


def count_mismatches(env, company, today):
    """Profiles whose stored values differ from a from-scratch scoring."""
    return env["crm.lifecycle.run"]._lifecycle_count_mismatches(company, today)


# ----------------------------------------------------------------------------
# Generator
# ----------------------------------------------------------------------------


def _log(message):
    print(f"scoring: {message}", flush=True)


def _insert_partners(cr, count, prefix):
    """Insert ``count`` companies (their own commercial partner) named
    ``prefix || id``; return (first id, last id)."""
    cr.execute(
        """
        WITH ins AS (
            INSERT INTO res_partner (id, commercial_partner_id, name,
                                     complete_name, is_company, active, type,
                                     autopost_bills, customer_rank,
                                     create_date, write_date)
            SELECT id, id, %(prefix)s || id, %(prefix)s || id, TRUE, TRUE,
                   'contact', 'ask', 1, NOW() AT TIME ZONE 'UTC',
                   NOW() AT TIME ZONE 'UTC'
              FROM (SELECT nextval('res_partner_id_seq') AS id
                      FROM generate_series(1, %(count)s)) AS s
         RETURNING id
        )
        SELECT MIN(id), MAX(id), COUNT(*) FROM ins
        """,
        {"prefix": prefix, "count": count},
    )
    first, last, inserted = cr.fetchone()
    if inserted and last - first + 1 != inserted:
        sys.exit("res_partner ids are not contiguous: is another process writing?")
    return first, last


def _sales_journal(cr, company_id):
    cr.execute(
        """SELECT id, currency_id FROM account_journal
            WHERE type = 'sale' AND company_id = %s ORDER BY id LIMIT 1""",
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
    return journal_id, currency_id


# The columns both invoice generators fill (the load and the next day's).
MOVE_INSERT = """INSERT INTO account_move (
        name, move_type, state, auto_post, date, invoice_date, journal_id,
        company_id, currency_id, partner_id, commercial_partner_id,
        amount_untaxed, amount_untaxed_signed, amount_total, amount_total_signed,
        create_date, write_date)"""

# One chunk of invoices. Customer p buys between start(p) and stop(p) days
# before the as-of date: start in 30..1095, and one customer in five stopped
# stop(p) days ago (else 0).
INVOICES_SQL = f"""
    {MOVE_INSERT}
    SELECT 'BENCH/' || n, kind, state, 'no', day, day, %(journal)s,
           %(company)s, %(currency)s, partner, partner,
           amount, CASE WHEN kind = 'out_refund' THEN -amount ELSE amount END,
           amount, CASE WHEN kind = 'out_refund' THEN -amount ELSE amount END,
           NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
      FROM (
        SELECT n, partner, amount, kind, state,
               %(as_of)s::date - (stop + floor(random() * (start - stop + 1))::int)
                   AS day
          FROM (
            SELECT n, partner, amount, kind, state, start,
                   CASE WHEN (partner::bigint * 104729) %% 100 < 20
                        THEN ((partner::bigint * 31) %% start)::int
                        ELSE 0 END AS stop
              FROM (
                SELECT n, partner,
                       30 + ((partner::bigint * 7919) %% 1066)::int AS start,
                       round((50 + random() * 5000)::numeric, 2) AS amount,
                       CASE WHEN random() < 0.08 THEN 'out_refund'
                            ELSE 'out_invoice' END AS kind,
                       CASE WHEN r < 0.03 THEN 'cancel'
                            WHEN r < 0.05 THEN 'draft'
                            ELSE 'posted' END AS state
                  FROM (
                    SELECT n, random() AS r,
                           %(first)s + floor(random() * %(count)s)::int AS partner
                      FROM generate_series(%(low)s, %(high)s) AS n
                  ) AS g
              ) AS p
          ) AS w
      ) AS rows
"""


def _droppable_indexes(cr):
    """``[(name, definition)]``: the non-unique indexes of account_move that
    the generated rows enter (the primary key, the unique indexes, and the
    partial indexes on another column IS NOT NULL stay)."""
    cr.execute(
        """
        SELECT i.indexname, i.indexdef
          FROM pg_indexes AS i
         WHERE i.schemaname = current_schema()
           AND i.tablename = 'account_move'
           AND i.indexdef NOT LIKE 'CREATE UNIQUE INDEX %'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c
                            WHERE c.conindid = (quote_ident(i.indexname))::regclass)
      ORDER BY i.indexname
        """
    )
    result = []
    for name, definition in cr.fetchall():
        where = definition.partition(" WHERE ")[2]
        sparse = re.fullmatch(r"\(*(\w+) IS NOT NULL\)*", where)
        if sparse and sparse.group(1) not in MOVE_COLUMNS:
            continue
        result.append((name, definition))
    return result


def generate(env, partners, invoices):
    cr = env.cr
    from odoo import fields

    company = env.ref("base.main_company")
    as_of = fields.Date.context_today(env["crm.lifecycle.profile"])
    started = time.perf_counter()
    cr.execute("SELECT setseed(0.42)")
    first, last = _insert_partners(cr, partners, "Bench ")
    cr.commit()
    partners_s = time.perf_counter() - started
    _log(f"generated partners={partners} in {partners_s:.1f}s")
    journal_id, currency_id = _sales_journal(cr, company.id)

    indexes = _droppable_indexes(cr)
    for name, _definition in indexes:
        cr.execute(f'DROP INDEX "{name}"')
    cr.commit()
    _log(f"dropped {len(indexes)} indexes of account_move for the load")

    load_start = time.perf_counter()
    for low in range(1, invoices + 1, CHUNK):
        high = min(low + CHUNK - 1, invoices)
        chunk_start = time.perf_counter()
        cr.execute(
            INVOICES_SQL,
            {
                "journal": journal_id,
                "company": company.id,
                "currency": currency_id,
                "as_of": as_of,
                "first": first,
                "count": last - first + 1,
                "low": low,
                "high": high,
            },
        )
        cr.commit()
        _log(
            f"invoices {high}/{invoices} "
            f"({time.perf_counter() - chunk_start:.1f}s for this chunk)"
        )
    load_s = time.perf_counter() - load_start

    index_start = time.perf_counter()
    cr.execute("SET maintenance_work_mem = '1GB'")
    for _name, definition in indexes:
        cr.execute(definition)
        cr.commit()
    index_s = time.perf_counter() - index_start
    analyze_start = time.perf_counter()
    cr.execute("ANALYZE res_partner")
    cr.execute("ANALYZE account_move")
    analyze_s = time.perf_counter() - analyze_start
    cr.commit()
    # What the addon's one-shot job does after install, then what autovacuum
    # does on a live database (the visibility map of index-only scans).
    from odoo.addons.crm_lifecycle.models.account_move import build_move_index

    index_start = time.perf_counter()
    build_move_index(cr.dbname)
    _log(f"built the addon's invoice index in {time.perf_counter() - index_start:.1f}s")

    context = {
        "company_id": company.id,
        "digits": company.currency_id.decimal_places,
        "as_of": as_of.isoformat(),
        "partners": partners,
        "invoices": invoices,
        "first_partner": first,
        "last_partner": last,
        "journal_id": journal_id,
        "currency_id": currency_id,
    }
    env["ir.config_parameter"].sudo().set_param(PARAM, json.dumps(context))
    cr.commit()
    _log(
        f"generated partners={partners} invoices={invoices} as_of={as_of} "
        f"in {time.perf_counter() - started:.1f}s (partners {partners_s:.1f}s, "
        f"invoices {load_s:.1f}s, {len(indexes)} indexes {index_s:.1f}s, "
        f"analyze {analyze_s:.1f}s)"
    )
    return context


def reset(env):
    """Remove what the cases added to the generated data (--reuse)."""
    cr = env.cr
    cr.execute(
        """
        DELETE FROM crm_lifecycle_history;
        DELETE FROM crm_lifecycle_run;
        DELETE FROM crm_lifecycle_profile;
        DELETE FROM mail_message
         WHERE model = 'crm.lifecycle.profile'
            OR (model = 'res.partner'
                AND res_id IN (SELECT id FROM res_partner WHERE name LIKE 'Bench %'));
        DELETE FROM account_move WHERE name LIKE 'BENCH-NEXT/%';
        DELETE FROM res_partner WHERE name LIKE 'Bench new %';
        """
    )


def prepare(env, args):
    """Generate the data (or reuse it); return the cases' context."""
    stored = env["ir.config_parameter"].sudo().get_param(PARAM)
    if args.reuse:
        if not stored:
            sys.exit(f"{args.database} holds no generated data: run without --reuse")
        context = json.loads(stored)
        reset(env)
        env.cr.commit()
        for table in ("crm_lifecycle_profile", "crm_lifecycle_history", "res_partner"):
            env.cr.execute(f"ANALYZE {table}")
        _log(
            f"reusing partners={context['partners']} invoices={context['invoices']} "
            f"as_of={context['as_of']}"
        )
        return context
    context = generate(env, args.partners, args.invoices)
    _vacuum(args, "account_move")
    return context


# ----------------------------------------------------------------------------
# Cases (each runs in its own child process)
# ----------------------------------------------------------------------------


def add_next_day(cr, context, day):
    """Insert the next day's posted invoices dated ``day``; return counts."""
    total = max(1, round(context["invoices"] * NEW_INVOICE_RATE))
    customers = round(total * NEW_CUSTOMER_SHARE)
    first_new, _last_new = _insert_partners(cr, customers, "Bench new ")
    cr.execute(
        f"""
        {MOVE_INSERT}
        SELECT 'BENCH-NEXT/' || n, 'out_invoice', 'posted', 'no', %(day)s,
               %(day)s, %(journal)s, %(company)s, %(currency)s, partner, partner,
               amount, amount, amount, amount,
               NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
          FROM (
            SELECT n, round((50 + random() * 5000)::numeric, 2) AS amount,
                   CASE WHEN n <= %(customers)s THEN %(first_new)s + n - 1
                        ELSE %(first)s + floor(random() * %(count)s)::int
                   END AS partner
              FROM generate_series(1, %(total)s) AS n
          ) AS rows
        """,
        {
            "day": day,
            "journal": context["journal_id"],
            "company": context["company_id"],
            "currency": context["currency_id"],
            "customers": customers,
            "first_new": first_new,
            "first": context["first_partner"],
            "count": context["last_partner"] - context["first_partner"] + 1,
            "total": total,
        },
    )
    return total, customers


def _vacuum(args, tables="crm_lifecycle_profile, crm_lifecycle_history"):
    from run import pg_connect

    cnx = pg_connect(args)
    try:
        with cnx.cursor() as cur:
            cur.execute(f"VACUUM {tables}")
    finally:
        cnx.close()


def _profiler():
    """With ``BENCH_PROFILE=<dir>``, a started cProfile profiler whose stats
    the case dumps to ``<dir>/<case>.prof`` (time per Python call, SQL time
    under the ``execute`` of its caller); otherwise None."""
    if not os.environ.get("BENCH_PROFILE"):
        return None
    import cProfile

    os.makedirs(os.environ["BENCH_PROFILE"], exist_ok=True)
    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


def run_case(registry, args, case, context):
    from run import environment

    company_id = context["company_id"]
    generated_on = datetime.date.fromisoformat(context["as_of"])
    result = {
        "case": case,
        "partners": context["partners"],
        "invoices": context["invoices"],
    }
    today = generated_on
    if case != "first":
        today += datetime.timedelta(days=1)
    with registry.cursor() as cr:
        env = environment(cr)
        if case == "next_day":
            added, customers = add_next_day(cr, context, today)
            cr.commit()
            _log(
                f"case=next_day added invoices={added} "
                f"(new customers={customers}) dated {today}"
            )
        # statistics as autovacuum keeps them (the previous case wrote them)
        cr.execute("ANALYZE crm_lifecycle_profile")
        cr.execute("ANALYZE crm_lifecycle_history")
        # What exists before the job: the floor writes what the job changed.
        cr.execute(
            "SELECT COALESCE(MAX(id), 0), NOW() AT TIME ZONE 'UTC' "
            "FROM crm_lifecycle_profile"
        )
        max_before, started = cr.fetchone()
        cr.commit()
        params = floor_params(company_id, context["digits"], today, env.uid)
        cr.execute(WARM_SQL, params)
        cr.rollback()
    with registry.cursor() as cr:
        env = environment(cr)
        profiler = _profiler()
        start = time.perf_counter()
        runs = run_job(env, today)
        cr.commit()
        job_s = time.perf_counter() - start
        if profiler:
            profiler.disable()
            profiler.dump_stats(
                os.path.join(os.environ["BENCH_PROFILE"], f"{case}.prof")
            )
        changed = sum(runs.mapped("changed_count"))
        stage_changes = sum(runs.mapped("stage_change_count"))
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with registry.cursor() as cr:
        # The floor: the profiles the job created are removed (untimed, rolled
        # back) so that the floor inserts them, with their first history rows;
        # the profiles it changed are updated.
        cr.execute(
            """SELECT COALESCE(array_agg(id), '{}') FROM crm_lifecycle_profile
                WHERE company_id = %s AND id <= %s AND write_date >= %s""",
            [company_id, max_before, started],
        )
        params["changed_ids"] = cr.fetchone()[0]
        cr.execute("DELETE FROM crm_lifecycle_profile WHERE id > %s", [max_before])
        cr.execute("ANALYZE crm_lifecycle_profile")
        floor_sql = FLOOR_NEXT_SQL if max_before else FLOOR_FIRST_SQL
        start = time.perf_counter()
        cr.execute(floor_sql, params)
        updated, inserted, history = cr.fetchone()
        floor_s = time.perf_counter() - start
        cr.rollback()
    _vacuum(args)
    with registry.cursor() as cr:
        env = environment(cr)
        company = env["res.company"].browse(company_id)
        mismatches = count_mismatches(env, company, today)
        cr.rollback()
        cr.execute(
            "SELECT COUNT(*), COUNT(stage_id) FROM crm_lifecycle_profile "
            "WHERE company_id = %s",
            [company_id],
        )
        profiles, staged = cr.fetchone()
    _log(
        f"case={case} as_of={today} profiles={profiles} staged={staged} "
        f"floor_updated={updated} floor_inserted={inserted} "
        f"floor_history={history} job_changed={changed} "
        f"job_stage_changes={stage_changes}"
    )
    result.update(
        as_of=today.isoformat(),
        job_s=job_s,
        floor_s=floor_s,
        changed=changed,
        floor_changed=updated + inserted,
        mismatches=mismatches,
        peak_rss_mb=peak_rss_mb,
    )
    return result


def format_line(result):
    if "error" in result:
        return f"scoring: case={result['case']} error={result['error']!r}"
    ratio = result["job_s"] / result["floor_s"] if result["floor_s"] else 0
    return (
        f"scoring: case={result['case']} partners={result['partners']} "
        f"invoices={result['invoices']} job_s={result['job_s']:.2f} "
        f"floor_s={result['floor_s']:.2f} ratio={ratio:.2f} "
        f"changed={result['changed']} mismatches={result['mismatches']} "
        f"peak_rss_mb={result['peak_rss_mb']:.0f}"
    )


def failed(result):
    return "error" in result or result["mismatches"] > 0
