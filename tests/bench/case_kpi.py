"""KPI report cases of the nightly benchmark (family ``kpi``).

Data: the ``scoring`` family's generated database (run it first, in the
same ``make bench``: ``CASES=scoring,kpi``, or ``--reuse`` a database where
it ran). :func:`prepare` adds, once, one product line per generated invoice
(products of :data:`CATEGORIES` product categories) for the category report;
the ``refresh`` case runs the scoring job first (untimed) when no profile
exists yet, so that the reports read profiles and stage history.

Cases, each in its own child process:

``refresh``
    refresh every materialised lifecycle report (what the nightly job does
    at its end), timed.
``monthly``, ``cohort``, ``value``, ``transition``, ``category``
    open the report's default pivot as the web client does, as the admin
    user (record rules apply): the action's default filters (its
    ``search_default_*`` context keys evaluated on the search view), then
    one ``read_group`` per header combination of the pivot view's row and
    column groupbys ([], rows, columns, rows x columns, each once) with the
    view's measures. ``rows`` is the number of rows x columns cells (rows
    alone without columns). Target: 2 s.

Each case prints ``kpi: report=<name> rows=N seconds=X target=2``.
"""

import datetime
import json
import sys
import time

from dateutil.relativedelta import relativedelta

CASES = ["refresh", "monthly", "cohort", "value", "transition", "category"]
SUMMARY_ORDER = CASES
TARGET_S = 2.0
CATEGORIES = 8
# what the generator records (the scoring family's data, then ours)
SCORING_PARAM = "crm_lifecycle_bench.scoring"
PARAM = "crm_lifecycle_bench.kpi"
REPORTS = {
    "monthly": "crm_lifecycle.crm_lifecycle_kpi_monthly_action",
    "cohort": "crm_lifecycle.crm_lifecycle_kpi_cohort_action",
    "value": "crm_lifecycle.crm_lifecycle_kpi_value_action",
    "transition": "crm_lifecycle.crm_lifecycle_kpi_transition_action",
    "category": "crm_lifecycle.crm_lifecycle_kpi_category_action",
}


def _log(message):
    print(f"kpi: {message}", flush=True)


def _products(env):
    """:data:`CATEGORIES` products, one per category; return their ids."""
    Category = env["product.category"]
    Product = env["product.product"]
    ids = []
    for index in range(CATEGORIES):
        category = Category.create({"name": f"Bench Category {index}"})
        product = Product.create(
            {"name": f"Bench Product {index}", "categ_id": category.id}
        )
        ids.append(product.id)
    return ids


LINES_SQL = """
    INSERT INTO account_move_line (
        move_id, account_id, company_id, journal_id, currency_id,
        company_currency_id,
        partner_id, display_type, product_id, name, quantity, price_unit,
        balance, debit, credit, amount_currency, date, parent_state,
        create_date, write_date)
    SELECT move.id, %(account)s, move.company_id, move.journal_id,
           move.currency_id,
           move.currency_id, move.commercial_partner_id, 'product',
           (%(products)s::int4[])[1 + move.id %% array_length(%(products)s, 1)],
           'Bench line', 1, move.amount_untaxed,
           -move.amount_untaxed_signed,
           GREATEST(move.amount_untaxed_signed, 0),
           GREATEST(-move.amount_untaxed_signed, 0),
           -move.amount_untaxed_signed, move.date, move.state,
           NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
      FROM account_move move
     WHERE move.name LIKE 'BENCH/%%'
       AND move.id BETWEEN %(low)s AND %(high)s
"""


def _income_account(env):
    Account = env["account.account"]
    account = Account.search([("account_type", "=", "income")], limit=1)
    return (
        account
        or Account.create(
            {"name": "Bench Income", "code": "BENCH1", "account_type": "income"}
        )
    ).id


def add_lines(env):
    """One product line per generated invoice, in chunks of 1M moves."""
    cr = env.cr
    products = _products(env)
    account = _income_account(env)
    cr.execute("SELECT MIN(id), MAX(id) FROM account_move WHERE name LIKE 'BENCH/%%'")
    low, high = cr.fetchone()
    started = time.perf_counter()
    lines = 0
    for start in range(low or 0, (high or -1) + 1, 1_000_000):
        cr.execute(
            LINES_SQL,
            {
                "products": products,
                "account": account,
                "low": start,
                "high": start + 999_999,
            },
        )
        lines += cr.rowcount
        cr.commit()
    cr.execute("ANALYZE account_move_line")
    _log(f"added invoice lines={lines} in {time.perf_counter() - started:.1f}s")
    return lines


def prepare(env, args):
    """The scoring family's data, plus product lines (once)."""
    scoring = env["ir.config_parameter"].sudo().get_param(SCORING_PARAM)
    if not scoring:
        sys.exit("the kpi family needs the scoring family's data: CASES=scoring,kpi")
    context = json.loads(scoring)
    stored = env["ir.config_parameter"].sudo().get_param(PARAM)
    if stored and json.loads(stored).get("invoices") == context["invoices"]:
        context.update(json.loads(stored))
        _log(f"reusing invoice lines={context['lines']}")
        return context
    lines = add_lines(env)
    mine = {"invoices": context["invoices"], "lines": lines}
    env["ir.config_parameter"].sudo().set_param(PARAM, json.dumps(mine))
    env.cr.commit()
    context.update(mine)
    return context


# ----------------------------------------------------------------------------
# Cases (each runs in its own child process)
# ----------------------------------------------------------------------------


def default_pivot(env, action_xmlid):
    """``(model, domain, rows, cols, measures)`` of an action's default pivot."""
    from lxml import etree

    from odoo.tools.safe_eval import (
        datetime as safe_datetime,
        safe_eval,
    )

    action = env.ref(action_xmlid)
    Model = env[action.res_model]
    context = safe_eval(action.context or "{}")
    search = etree.fromstring(
        Model.get_view(action.search_view_id.id, "search")["arch"]
    )
    today = datetime.date.today()
    eval_context = {
        "context_today": lambda: today,
        "relativedelta": relativedelta,
        "datetime": safe_datetime,
    }
    domain = []
    for node in search.iter("filter"):
        if context.get(f"search_default_{node.get('name')}") and node.get("domain"):
            domain += safe_eval(node.get("domain"), eval_context)
    pivot = etree.fromstring(Model.get_view(view_type="pivot")["arch"])
    rows, cols, measures = [], [], []
    for node in pivot.iter("field"):
        name = node.get("name")
        if node.get("interval"):
            name = f"{name}:{node.get('interval')}"
        if node.get("type") == "row":
            rows.append(name)
        elif node.get("type") == "col":
            cols.append(name)
        elif node.get("type") == "measure":
            measures.append(name)
    return Model, domain, rows, cols, measures


def open_pivot(Model, domain, rows, cols, measures):
    """The pivot's ``read_group`` calls; return the rows x columns cells."""
    fields = [*measures, "__count"]
    combinations = []
    for groupby in ([], rows, cols, rows + cols):
        if groupby not in combinations:
            combinations.append(groupby)
    for groupby in combinations:
        groups = Model.read_group(domain, fields, groupby, lazy=False)
    return len(groups)


def run_case(registry, args, case, context):
    from run import environment

    result = {"case": case, "report": case}
    with registry.cursor() as cr:
        env = environment(cr)
        if case == "refresh":
            if not env["crm.lifecycle.profile"].search_count([], limit=1):
                started = time.perf_counter()
                today = datetime.date.fromisoformat(context["as_of"])
                env["crm.lifecycle.run"]._cron_lifecycle_scoring(today=today)
                cr.commit()
                _log(f"scored first in {time.perf_counter() - started:.1f}s")
            Kpi = env["crm.lifecycle.kpi.mixin"]
            started = time.perf_counter()
            timings = Kpi._kpi_refresh()
            cr.commit()
            result["seconds"] = time.perf_counter() - started
            result["rows"] = sum(env[name].search_count([]) for name in timings)
            _log(
                "refreshed "
                + " ".join(f"{name}={sec:.2f}s" for name, sec in timings.items())
            )
            result["target"] = None
            return result
        admin = env.ref("base.user_admin")
        env = env(user=admin, context={"lang": "en_US", "tz": "UTC"})
        Model, domain, rows, cols, measures = default_pivot(env, REPORTS[case])
        started = time.perf_counter()
        result["rows"] = open_pivot(Model, domain, rows, cols, measures)
        result["seconds"] = time.perf_counter() - started
        result["target"] = TARGET_S
        cr.rollback()
    return result


def format_line(result):
    if "error" in result:
        return f"kpi: report={result['case']} error={result['error']!r}"
    target = result.get("target")
    return (
        f"kpi: report={result['report']} rows={result['rows']} "
        f"seconds={result['seconds']:.2f}" + (f" target={target:g}" if target else "")
    )


def failed(result):
    return "error" in result or (
        result.get("target") is not None and result["seconds"] > result["target"]
    )
