"""Dunning case of the nightly benchmark (family ``dunning``).

Data (generated once per database by :func:`prepare`, set-based SQL): the
main company's chart of accounts (``generic_coa``), a default dunning policy
with three levels (15 days letter, 30 days letter, 60 days phone call, last)
and value adaptations on, ``--partners`` customers and, for ``--invoices``
= M:

* M overdue posted customer invoices (due 1 to 120 days before D), one in
  four partly paid (30%) by a payment entry reconciled with it
  (``account_partial_reconcile``);
* M invoices fully paid (between 10 days early and 40 days late) by payment
  entries, with ``account_full_reconcile`` and matching numbers: the
  payment record of the value adaptations reads them;
* 0.6 M posted invoices not yet due, 0.4 M open credit notes;

so at least 3 M receivable lines. Each move has a receivable line and a
counterpart line (income, or bank for payments) whose balances sum to zero.
Validity is checked after the load: no generated move is unbalanced (SQL),
and on a sample of 200 generated invoices account's own computations
(``_compute_amount_residual`` of the lines and ``_compute_amount`` of the
moves: residuals, ``payment_state``) give back the generated values.

The generator ends as a live database would be: the accounting tables
vacuumed. Case ``first``: after an untimed warm-up read of the accounting tables
(:data:`WARM_SQL`, as a nightly run finds its cache), our first dunning run
as of D (one ``crm.collections.run``
generated: its lines and per-invoice rows with explanations), timed; the
peer (OCA ``account_credit_control`` 18.0, pip-installed with --no-deps
by ``tools/bench.sh`` into ``.cache/bench-peer`` and on the bench's addons
path only) runs its first ``credit.control.run`` with the same three levels
(net days after the due date) on the same database, timed the same way;
without it the line says ``peer_s=n/a``. The peer makes one line per
overdue receivable line (invoice), ours one per customer (with one row per
invoice).
"""

import datetime
import json
import os
import resource
import sys
import time
from pathlib import Path

CASES = ["first"]
SUMMARY_ORDER = ["first"]
PEER = "account_credit_control"
PEER_DIR = Path(
    os.environ.get("BENCH_PEER_DIR")
    or Path(__file__).resolve().parents[2] / ".cache" / "bench-peer"
)
PEER_AVAILABLE = (PEER_DIR / "odoo" / "addons" / PEER / "__manifest__.py").is_file()
# Modules the family needs in the bench database, besides crm_lifecycle.
MODULES = ["crm_collections"] + ([PEER] if PEER_AVAILABLE else [])
LEVELS = [(15, "letter"), (30, "letter"), (60, "phone")]
PARAM = "crm_lifecycle_bench.dunning"
SAMPLE = 200


def _log(message):
    print(f"dunning: {message}", flush=True)


def _accounts(env, company):
    if not company.chart_template:
        env["account.chart.template"].try_loading(
            "generic_coa", company, install_demo=False
        )
    Account = env["account.account"].with_company(company)

    def account(account_type):
        found = Account.search(
            [("account_type", "=", account_type), ("company_ids", "in", company.id)],
            limit=1,
        )
        if not found:
            sys.exit(f"no {account_type} account in {company.name}")
        return found.id

    Journal = env["account.journal"].with_company(company)
    sale = Journal.search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    bank = Journal.search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    return {
        "receivable": account("asset_receivable"),
        "income": account("income"),
        "bank_account": account("asset_cash"),
        "sale_journal": sale.id,
        "bank_journal": bank.id,
    }


def _policy(env, company):
    from odoo import Command

    Policy = env["crm.collections.policy"].with_company(company)
    Policy.search([("company_id", "=", company.id)]).write({"is_default": False})
    return Policy.create(
        {
            "name": "Bench policy",
            "company_id": company.id,
            "is_default": True,
            "mode": "review",
            "vip_min_predicted_clv": 5000,
            "vip_extra_days": 10,
            "poor_payer_min_days_late": 20,
            "poor_payer_max_clv": 1000,
            "poor_payer_fewer_days": 5,
            "level_ids": [
                Command.create(
                    {
                        "name": f"Level {rank}",
                        "days": days,
                        "channel": channel,
                        "is_last": rank == len(LEVELS),
                    }
                )
                for rank, (days, channel) in enumerate(LEVELS, start=1)
            ],
        }
    )


# One row per generated document: kind inv (overdue), paid, future, refund.
STAGING_SQL = """
    CREATE TABLE bench_dunning AS
    SELECT n, partner, amount, kind, due,
           CASE WHEN kind = 'inv' AND n %% 4 = 0 THEN round(amount * 0.3, 2)
                WHEN kind = 'paid' THEN amount
                ELSE 0 END AS paid,
           CASE WHEN kind = 'paid'
                THEN LEAST(due + (floor(random() * 51)::int - 10), %(as_of)s::date)
                WHEN kind = 'inv' THEN due + 1
           END AS pay_date,
           NULL::int AS move_id, NULL::int AS line_id,
           NULL::int AS pay_move_id, NULL::int AS pay_line_id
      FROM (
        SELECT n, partner, amount, kind,
               CASE kind
                 WHEN 'inv' THEN %(as_of)s::date - (1 + floor(random() * 120)::int)
                 WHEN 'paid' THEN %(as_of)s::date - (41 + floor(random() * 300)::int)
                 WHEN 'future' THEN %(as_of)s::date + (1 + floor(random() * 30)::int)
                 ELSE %(as_of)s::date - floor(random() * 60)::int
               END AS due
          FROM (
            SELECT n, %(first)s + floor(random() * %(count)s)::int AS partner,
                   round((50 + random() * 2000)::numeric, 2) AS amount,
                   CASE WHEN n <= %(m)s THEN 'inv'
                        WHEN n <= 2 * %(m)s THEN 'paid'
                        WHEN n <= 2.6 * %(m)s THEN 'future'
                        ELSE 'refund' END AS kind
              FROM generate_series(1, %(total)s) AS n
          ) AS g
      ) AS d
"""

MOVES_SQL = """
    INSERT INTO account_move (
        name, move_type, state, auto_post, date, invoice_date, invoice_date_due,
        journal_id, company_id, currency_id, partner_id, commercial_partner_id,
        amount_untaxed, amount_untaxed_signed, amount_total, amount_total_signed,
        amount_residual, amount_residual_signed, payment_state,
        create_date, write_date)
    SELECT 'DUN/' || n,
           CASE WHEN kind = 'refund' THEN 'out_refund' ELSE 'out_invoice' END,
           'posted', 'no', due - 30, due - 30, due, %(sale_journal)s, %(company)s,
           %(currency)s, partner, partner,
           amount, CASE WHEN kind = 'refund' THEN -amount ELSE amount END,
           amount, CASE WHEN kind = 'refund' THEN -amount ELSE amount END,
           amount - paid, CASE WHEN kind = 'refund' THEN -amount ELSE amount - paid END,
           CASE WHEN paid = 0 THEN 'not_paid' WHEN paid < amount THEN 'partial'
                ELSE 'paid' END,
           NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
      FROM bench_dunning;
    UPDATE bench_dunning b SET move_id = m.id
      FROM account_move m
     WHERE m.name = 'DUN/' || b.n AND m.journal_id = %(sale_journal)s;
    INSERT INTO account_move (
        name, move_type, state, auto_post, date, journal_id, company_id, currency_id,
        partner_id, commercial_partner_id, amount_total, amount_total_signed,
        amount_residual, amount_residual_signed, payment_state, create_date, write_date)
    SELECT 'DUNPAY/' || n, 'entry', 'posted', 'no', pay_date, %(bank_journal)s,
           %(company)s, %(currency)s, partner, partner, paid, paid, 0, 0, 'not_paid',
           NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
      FROM bench_dunning WHERE paid > 0;
    UPDATE bench_dunning b SET pay_move_id = m.id
      FROM account_move m
     WHERE b.paid > 0 AND m.name = 'DUNPAY/' || b.n AND m.journal_id = %(bank_journal)s;
"""

LINE_COLUMNS = """
    move_id, move_name, journal_id, company_id, company_currency_id, currency_id,
    account_id, partner_id, date, invoice_date, date_maturity, parent_state,
    display_type, name, debit, credit, balance, amount_currency, amount_residual,
    amount_residual_currency, reconciled, quantity, price_unit, price_subtotal,
    price_total, create_date, write_date
"""

LINES_SQL = f"""
    -- receivable line of each invoice (debit) or credit note (credit)
    INSERT INTO account_move_line ({LINE_COLUMNS})
    SELECT move_id, 'DUN/' || n, %(sale_journal)s, %(company)s, %(currency)s,
           %(currency)s, %(receivable)s, partner, due - 30, due - 30, due, 'posted',
           'payment_term', '', s.debit, s.credit, s.debit - s.credit,
           s.debit - s.credit, s.residual, s.residual, s.residual = 0,
           1, 0, 0, 0, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
      FROM bench_dunning,
           LATERAL (SELECT CASE WHEN kind = 'refund' THEN 0 ELSE amount END AS debit,
                           CASE WHEN kind = 'refund' THEN amount ELSE 0 END AS credit,
                           CASE WHEN kind = 'refund' THEN -amount
                                ELSE amount - paid END AS residual) AS s;
    UPDATE bench_dunning b SET line_id = l.id
      FROM account_move_line l
     WHERE l.move_id = b.move_id AND l.display_type = 'payment_term';
    -- income line of each invoice / credit note
    INSERT INTO account_move_line ({LINE_COLUMNS})
    SELECT move_id, 'DUN/' || n, %(sale_journal)s, %(company)s, %(currency)s,
           %(currency)s, %(income)s, partner, due - 30, due - 30, NULL, 'posted',
           'product', 'Goods', s.credit, s.debit, s.credit - s.debit,
           s.credit - s.debit, 0, 0, FALSE,
           1, amount, amount, amount, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
      FROM bench_dunning,
           LATERAL (SELECT CASE WHEN kind = 'refund' THEN 0 ELSE amount END AS debit,
                           CASE WHEN kind = 'refund' THEN amount ELSE 0 END AS credit
           ) AS s;
    -- payments: bank debit, receivable credit (fully reconciled)
    INSERT INTO account_move_line ({LINE_COLUMNS})
    SELECT pay_move_id, 'DUNPAY/' || n, %(bank_journal)s, %(company)s, %(currency)s,
           %(currency)s, %(bank_account)s, partner, pay_date, NULL, pay_date, 'posted',
           'product', 'Payment', paid, 0, paid, paid, 0, 0, FALSE,
           1, 0, 0, 0, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
      FROM bench_dunning WHERE paid > 0;
    INSERT INTO account_move_line ({LINE_COLUMNS})
    SELECT pay_move_id, 'DUNPAY/' || n, %(bank_journal)s, %(company)s, %(currency)s,
           %(currency)s, %(receivable)s, partner, pay_date, NULL, pay_date, 'posted',
           'product', 'Payment', 0, paid, -paid, -paid, 0, 0, TRUE,
           1, 0, 0, 0, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
      FROM bench_dunning WHERE paid > 0;
    UPDATE bench_dunning b SET pay_line_id = l.id
      FROM account_move_line l
     WHERE b.paid > 0 AND l.move_id = b.pay_move_id AND l.account_id = %(receivable)s;
    INSERT INTO account_partial_reconcile (
        debit_move_id, credit_move_id, debit_currency_id, credit_currency_id,
        company_id, max_date, amount, debit_amount_currency, credit_amount_currency,
        create_date, write_date)
    SELECT line_id, pay_line_id, %(currency)s, %(currency)s, %(company)s,
           GREATEST(pay_date, due - 30), paid, paid, paid,
           NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
      FROM bench_dunning WHERE paid > 0;
    -- full reconciliations of the paid invoices
    ALTER TABLE bench_dunning ADD COLUMN full_id int;
    UPDATE bench_dunning SET full_id = nextval('account_full_reconcile_id_seq')
     WHERE kind = 'paid';
    INSERT INTO account_full_reconcile (id, create_date, write_date)
    SELECT full_id, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
      FROM bench_dunning WHERE full_id IS NOT NULL;
    UPDATE account_partial_reconcile p SET full_reconcile_id = b.full_id
      FROM bench_dunning b WHERE b.full_id IS NOT NULL AND p.debit_move_id = b.line_id;
    UPDATE account_move_line l SET full_reconcile_id = b.full_id,
           matching_number = b.full_id::text, reconciled = TRUE
      FROM bench_dunning b
     WHERE b.full_id IS NOT NULL AND l.id IN (b.line_id, b.pay_line_id);
    UPDATE account_move_line l SET matching_number = 'P' || p.id
      FROM account_partial_reconcile p
     WHERE p.full_reconcile_id IS NULL AND l.id IN (p.debit_move_id, p.credit_move_id);
"""


def _peer_policy(env, company, receivable):
    """The peer's policy with the same three levels (net days after the due
    date), on the receivable account; the company's default."""
    from odoo import Command

    template = env.ref(f"{PEER}.email_template_credit_control_base")
    policy = env["credit.control.policy"].create(
        {
            "name": "Bench peer policy",
            "company_id": company.id,
            "account_ids": [Command.set([receivable])],
            "level_ids": [
                Command.create(
                    {
                        "name": f"Level {rank}",
                        "level": rank,
                        "computation_mode": "net_days",
                        "delay_days": days,
                        "email_template_id": template.id,
                        "channel": "letter",
                        "custom_text": "Please pay.",
                        "custom_mail_text": "<p>Please pay.</p>",
                    }
                )
                for rank, (days, __) in enumerate(LEVELS, start=1)
            ],
        }
    )
    company.credit_policy_id = policy
    return policy


WARM_SQL = """
    SELECT (SELECT COUNT(*) FROM account_move_line WHERE amount_residual != 0),
           (SELECT COUNT(*) FROM account_move WHERE state = 'posted'),
           (SELECT SUM(amount) FROM account_partial_reconcile),
           (SELECT COUNT(*) FROM res_partner WHERE active)
"""


def check_validity(env):
    """Unbalanced generated moves (must be 0) and the sample's mismatches
    against account's own computations (must be 0)."""
    cr = env.cr
    cr.execute(
        """SELECT COUNT(*) FROM (
               SELECT l.move_id FROM account_move_line l
                 JOIN bench_dunning b ON l.move_id IN (b.move_id, b.pay_move_id)
                GROUP BY l.move_id HAVING round(SUM(l.balance), 2) != 0) AS u"""
    )
    unbalanced = cr.fetchone()[0]
    cr.execute(
        "SELECT move_id FROM bench_dunning ORDER BY n %% 97, n LIMIT %s", [SAMPLE]
    )
    moves = env["account.move"].browse([row[0] for row in cr.fetchall()])
    cr.execute(
        """SELECT l.id, l.amount_residual, l.reconciled FROM account_move_line l
            WHERE l.move_id = ANY(%s)""",
        [moves.ids],
    )
    stored_lines = {row[0]: row[1:] for row in cr.fetchall()}
    cr.execute(
        "SELECT id, amount_residual, payment_state FROM account_move"
        " WHERE id = ANY(%s)",
        [moves.ids],
    )
    stored_moves = {row[0]: row[1:] for row in cr.fetchall()}
    env.invalidate_all()
    lines = moves.line_ids
    lines._compute_amount_residual()
    moves._compute_amount()
    mismatches = 0
    for line in lines:
        residual, reconciled = stored_lines[line.id]
        if (
            round(float(residual) - line.amount_residual, 2)
            or reconciled != line.reconciled
        ):
            mismatches += 1
    for move in moves:
        residual, state = stored_moves[move.id]
        if (
            round(float(residual) - move.amount_residual, 2)
            or state != move.payment_state
        ):
            mismatches += 1
    env.invalidate_all()
    return unbalanced, mismatches


def generate(env, partners, invoices):
    from case_scoring import _insert_partners

    from odoo import fields

    cr = env.cr
    company = env.ref("base.main_company")
    as_of = fields.Date.context_today(env["crm.collections.run"])
    started = time.perf_counter()
    accounts = _accounts(env, company)
    policy = _policy(env, company)
    peer_policy = (
        _peer_policy(env, company, accounts["receivable"]) if PEER_AVAILABLE else None
    )
    cr.commit()
    cr.execute("SELECT setseed(0.17)")
    first, last = _insert_partners(cr, partners, "Dunning ")
    total = int(invoices * 3)
    params = {
        **accounts,
        "company": company.id,
        "currency": company.currency_id.id,
        "as_of": as_of,
        "first": first,
        "count": last - first + 1,
        "m": invoices,
        "total": total,
    }
    cr.execute("DROP TABLE IF EXISTS bench_dunning")
    cr.execute(STAGING_SQL, params)
    cr.execute("CREATE INDEX ON bench_dunning (move_id)")
    cr.execute(MOVES_SQL, params)
    cr.execute(LINES_SQL, params)
    cr.commit()
    load_s = time.perf_counter() - started
    for table in (
        "res_partner",
        "account_move",
        "account_move_line",
        "account_partial_reconcile",
        "bench_dunning",
    ):
        cr.execute(f"ANALYZE {table}")
    unbalanced, mismatches = check_validity(env)
    cr.execute(
        """SELECT COUNT(*) FILTER (WHERE acc.account_type = 'asset_receivable')
             FROM account_move_line l
             JOIN account_account acc ON acc.id = l.account_id"""
    )
    receivable_lines = cr.fetchone()[0]
    _log(
        f"generated partners={partners} overdue invoices={invoices} documents={total} "
        f"receivable_lines={receivable_lines} in {load_s:.1f}s; validity: "
        f"unbalanced_moves={unbalanced} sample_mismatches={mismatches} (of {SAMPLE})"
    )
    if unbalanced or mismatches:
        sys.exit("dunning: the generated accounting data is not valid")
    context = {
        "company_id": company.id,
        "policy_id": policy.id,
        "peer_policy_id": peer_policy.id if peer_policy else None,
        "as_of": as_of.isoformat(),
        "partners": partners,
        "invoices": invoices,
    }
    env["ir.config_parameter"].sudo().set_param(PARAM, json.dumps(context))
    cr.commit()
    return context


def reset(env):
    env.cr.execute("DELETE FROM crm_collections_run")
    if PEER_AVAILABLE:
        env.cr.execute(
            "DELETE FROM credit_control_line; DELETE FROM credit_control_run"
        )


def prepare(env, args):
    stored = env["ir.config_parameter"].sudo().get_param(PARAM)
    if args.reuse and stored:
        reset(env)
        env.cr.commit()
        return json.loads(stored)
    context = generate(env, args.partners, args.invoices)
    # as a live database is (autovacuum): hint bits set, visibility map built
    from case_scoring import _vacuum

    tables = "account_move, account_move_line, account_partial_reconcile"
    _vacuum(args, f"{tables}, res_partner")
    return context


def run_case(registry, args, case, context):
    from run import environment

    today = datetime.date.fromisoformat(context["as_of"])
    result = {
        "case": case,
        "partners": context["partners"],
        "invoices": context["invoices"],
    }
    with registry.cursor() as cr:
        # untimed: a warm cache, as a nightly run finds it (both runs read
        # these tables)
        cr.execute(WARM_SQL)
        env = environment(cr)
        company = env["res.company"].browse(context["company_id"])
        run = (
            env["crm.collections.run"]
            .with_company(company)
            .create({"company_id": company.id, "date": today})
        )
        cr.commit()
        start = time.perf_counter()
        run._collections_generate()
        cr.commit()
        run_s = time.perf_counter() - start
        cr.execute(
            """SELECT COUNT(DISTINCT l.id), COUNT(li.id)
                 FROM crm_collections_line l
                 JOIN crm_collections_line_invoice li ON li.line_id = l.id
                WHERE l.run_id = %s""",
            [run.id],
        )
        lines, line_invoices = cr.fetchone()
    peer_s = peer_lines = None
    if PEER_AVAILABLE and context.get("peer_policy_id"):
        with registry.cursor() as cr:
            env = environment(cr)
            company = env["res.company"].browse(context["company_id"])
            peer_run = (
                env["credit.control.run"]
                .with_company(company)
                .create(
                    {
                        "date": today,
                        "company_id": company.id,
                        "policy_ids": [(6, 0, [context["peer_policy_id"]])],
                    }
                )
            )
            cr.commit()
            start = time.perf_counter()
            peer_run.generate_credit_lines()
            cr.commit()
            peer_s = time.perf_counter() - start
            cr.execute(
                "SELECT COUNT(*) FROM credit_control_line WHERE run_id = %s",
                [peer_run.id],
            )
            peer_lines = cr.fetchone()[0]
    _log(f"our run: lines={lines} line_invoices={line_invoices}")
    result.update(
        run_s=run_s,
        lines=lines,
        line_invoices=line_invoices,
        peer_s=peer_s,
        peer_lines=peer_lines,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    return result


def format_line(result):
    if "error" in result:
        return f"dunning: case={result['case']} error={result['error']!r}"
    peer_s = result.get("peer_s")
    speedup = f"{peer_s / result['run_s']:.1f}" if peer_s else "n/a"
    return (
        f"dunning: partners={result['partners']} invoices={result['invoices']} "
        f"run_s={result['run_s']:.2f} "
        f"peer_s={f'{peer_s:.2f}' if peer_s else 'n/a'} speedup={speedup} "
        f"lines={result['lines']} peer_lines={result.get('peer_lines') or 'n/a'}"
    )


def failed(result):
    return "error" in result
