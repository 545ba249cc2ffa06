import uuid
from dataclasses import dataclass, field
from datetime import date

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# Namespace (first key) of the PostgreSQL advisory locks of the scoring job;
# the second key is the root company id.
LOCK_NAMESPACE = 0x4C43  # "LC"

# Prefix of the working tables of the scheduled runs (one real table per run,
# kept across resumes) and of ad-hoc scorings (temporary, dropped at commit).
RUN_TABLE_PREFIX = "crm_lifecycle_work_"
ADHOC_TABLE_PREFIX = "crm_lifecycle_tmp_"

# Customers scored per batch (committed per batch by a run).
BATCH_SIZE = 2000


def run_table(run_id):
    """The name of the working table of the run ``run_id``."""
    return f"{RUN_TABLE_PREFIX}{int(run_id)}"


@dataclass(frozen=True)
class ScoringStep:
    """One step of the scoring pipeline.

    :param name: the step's code; the pipeline calls these methods of
        ``crm.lifecycle.scoring`` when they exist (at least one of select,
        prepare and batch): ``_scoring_select_<name>(ctx, source)`` (SQL selecting
        ``partner_id`` and the step's columns from ``source``, the rows of
        the earlier steps; the first step's select is the population),
        ``_scoring_prepare_<name>(ctx)`` (set-based SQL on the working table),
        ``_scoring_summary_<name>(ctx, source)`` with
        ``_scoring_store_summary_<name>(ctx, value)`` (a select step's
        company-wide figure, one SQL value computed over all rows in the same
        statement, e.g. the RFM cut-points),
        ``_scoring_batch_<name>(ctx, batch)`` (per-batch decisions, before the
        batch is written), ``_scoring_keep_<name>(ctx)`` (SQL condition on the
        working row ``w`` and the profile ``p``: the row needs the step's batch
        part even though no written column changed; without it every row
        does) and ``_scoring_after_write_<name>(ctx, batch)`` (after the batch
        is written)
    :param sequence: the step's place in the pipeline (see
        :data:`STEP_SEQUENCES`)
    :param columns: ``{column: SQL type}`` the step adds to the working
        table; a column named after a stored field of
        ``crm.lifecycle.profile`` is written to the profile
    :param reads: working-table columns the step reads; each must be added by
        an earlier step
    :param python_columns: those of ``columns`` that the step's batch part
        decides in Python (``batch.python_values``) instead of SQL
    """

    name: str
    sequence: int
    columns: dict = field(default_factory=dict)
    reads: tuple = ()
    python_columns: tuple = ()


# The documented order of the steps, this addon's and those of later addons.
STEP_SEQUENCES = {
    "figures": 10,
    "rfm": 20,
    "stage": 30,
    "value": 40,
    # due dates of the contact playbooks (anniversary, service, repurchase):
    # after value (reads its expected next purchase)
    "due_dates": 45,
    "payment": 50,
    "financial_risk": 60,
    "support": 70,
    "churn_risk": 80,
    "tier": 90,
}


@dataclass
class ScoringContext:
    """What every step of one scoring receives.

    ``full`` scorings cover every customer of the company and rank RFM over
    them; others score ``partner_ids`` only, against the RFM cut-points of
    the last full run.
    """

    company: models.BaseModel
    # the root company and its branches, whose invoices roll up
    company_ids: list
    date: date
    table: str
    full: bool
    partner_ids: list = field(default_factory=list)
    run: models.BaseModel = None
    steps: list = field(default_factory=list)
    # a run scores only the rows that need it (``_scoring_todo_condition``);
    # any other scoring scores every row, without shortcut
    incremental: bool = False
    # what the rules of each step depend on (thresholds, configuration): a
    # step whose key differs from the last done run's re-evaluates every row
    step_keys: dict = field(default_factory=dict)
    previous_step_keys: dict = field(default_factory=dict)
    # customers of the company (the first step's rows), set by the preparation
    population: int = 0
    # columns of the working table written to the profile, with their SQL
    # value for a partner without a row; filled once per scoring
    write_columns: dict = field(default_factory=dict)
    # what steps keep for the length of the scoring (e.g. the value model)
    extra: dict = field(default_factory=dict)

    @property
    def sql_table(self):
        return SQL.identifier(self.table)


@dataclass
class ScoringBatch:
    """The rows of one batch: ``values`` by partner (the working table's
    columns) and ``current`` by partner (the profile's ``id`` and stage
    state; absent for partners without a profile). Steps store their
    decisions in ``decisions`` under their own name."""

    partner_ids: list
    values: dict
    current: dict
    decisions: dict = field(default_factory=dict)
    # values decided in Python, written instead of the working table's:
    # ``{column: {partner_id: value}}``
    python_values: dict = field(default_factory=dict)
    changed: int = 0
    # profiles created by the batch (counted in ``changed`` too)
    inserted: int = 0
    stage_changes: int = 0


class CrmLifecycleScoring(models.AbstractModel):
    """The scoring pipeline: an ordered list of steps that fill a working
    table set-based, then decide and write in batches.

    A step is declared by :meth:`_scoring_steps` and implemented by methods
    named after it; an addon adds one by inheriting this model (see
    ``docs/customisation-guide.md``). The batch job that drives the pipeline
    (runs, locks, commits, progress) is ``crm.lifecycle.run``.
    """

    _name = "crm.lifecycle.scoring"
    _description = "Customer Lifecycle Scoring Pipeline"

    # ------------------------------------------------------------
    # STEPS
    # ------------------------------------------------------------

    @api.model
    def _scoring_steps(self):
        """Return the :class:`ScoringStep` list of the pipeline.

        Override to add a step: ``return super()._scoring_steps() +
        [ScoringStep(...)]``. The pipeline runs them by sequence.
        """
        return []

    @api.model
    def _scoring_ordered_steps(self):
        """The steps by sequence, checked: unique names, and every column a
        step reads is added by an earlier one."""
        steps = sorted(self._scoring_steps(), key=lambda step: step.sequence)
        known = {"partner_id"}
        names = set()
        for step in steps:
            if step.name in names:
                raise UserError(
                    self.env._("Two scoring steps are named %(name)s.", name=step.name)
                )
            names.add(step.name)
            missing = [column for column in step.reads if column not in known]
            if missing:
                raise UserError(
                    self.env._(
                        "The scoring step %(step)s reads %(columns)s, which no "
                        "earlier step adds.",
                        step=step.name,
                        columns=", ".join(missing),
                    )
                )
            if not any(
                hasattr(self, f"_scoring_{part}_{step.name}")
                for part in ("select", "prepare", "batch")
            ):
                raise UserError(
                    self.env._(
                        "The scoring step %(step)s has no method "
                        "_scoring_select_%(step)s, _scoring_prepare_%(step)s or "
                        "_scoring_batch_%(step)s.",
                        step=step.name,
                    )
                )
            known.update(step.columns)
        if steps and not hasattr(self, f"_scoring_select_{steps[0].name}"):
            raise UserError(
                self.env._(
                    "The first scoring step, %(step)s, must select the customers "
                    "to score (_scoring_select_%(step)s).",
                    step=steps[0].name,
                )
            )
        return steps

    # ------------------------------------------------------------
    # WORKING TABLE
    # ------------------------------------------------------------

    @api.model
    def _scoring_context(self, company, today, run=None, partner_ids=None):
        """The context of one scoring of ``company`` as of ``today``: the
        run's own table for a run, a private temporary table otherwise."""
        if run:
            table = run_table(run.id)
        else:
            table = f"{ADHOC_TABLE_PREFIX}{uuid.uuid4().hex[:16]}"
        ctx = ScoringContext(
            company=company,
            company_ids=company.sudo().search([("id", "child_of", company.id)]).ids,
            date=today,
            table=table,
            full=partner_ids is None,
            partner_ids=sorted(set(partner_ids or [])),
            run=run,
            steps=self._scoring_ordered_steps(),
            incremental=bool(run),
        )
        if run:
            previous = run.search(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "done"),
                    ("id", "!=", run.id),
                ],
                limit=1,
            )
            ctx.previous_step_keys = previous.step_keys or {}
        return ctx

    @api.model
    def _scoring_table_exists(self, ctx):
        self.env.cr.execute(SQL("SELECT to_regclass(%s)", ctx.table))
        return bool(self.env.cr.fetchone()[0])

    @api.model
    def _scoring_prepare(self, ctx):
        """Create the working table of ``ctx`` and let every step fill it,
        set-based. A run's table is a real table that survives commits and
        restarts (a resumed run reuses it); an ad-hoc scoring's table is
        temporary and private to its transaction, so that a scoring started
        from inside another (an automated action) never touches the other's
        data."""
        self._scoring_flush()
        columns = [SQL("partner_id int4 PRIMARY KEY")]
        for step in ctx.steps:
            for name, sql_type in step.columns.items():
                columns.append(SQL("%s %s", SQL.identifier(name), SQL(sql_type)))
        self.env.cr.execute(
            SQL(
                "CREATE %s TABLE %s (%s)%s",
                SQL("") if ctx.run else SQL("TEMPORARY"),
                ctx.sql_table,
                SQL(", ").join(columns),
                SQL("") if ctx.run else SQL(" ON COMMIT DROP"),
            )
        )
        # The leading select steps are composed into one INSERT; a select
        # step after a prepare step updates the table.
        pending, filled = [], False
        keep_only_todo = self._scoring_can_filter(ctx)
        for step in ctx.steps:
            select = getattr(self, f"_scoring_select_{step.name}", None)
            prepare = getattr(self, f"_scoring_prepare_{step.name}", None)
            if select and filled:
                self._scoring_update_from_select(ctx, step, select)
            elif select:
                pending.append((step, select))
            if prepare:
                if not filled:
                    self._scoring_insert_selects(ctx, pending, keep_only_todo)
                    filled = True
                prepare(ctx)
        if not filled:
            self._scoring_insert_selects(ctx, pending, keep_only_todo)

    @api.model
    def _scoring_can_filter(self, ctx):
        """Whether a run's INSERT may keep only the rows to score: every
        column is known when the composed selects are inserted (no prepare
        step adds columns, none runs before a select step)."""
        if not ctx.incremental:
            return False
        selects = [
            index
            for index, step in enumerate(ctx.steps)
            if hasattr(self, f"_scoring_select_{step.name}")
        ]
        last_select = max(selects, default=-1)
        for index, step in enumerate(ctx.steps):
            if not hasattr(self, f"_scoring_prepare_{step.name}"):
                continue
            sql_columns = set(step.columns) - set(step.python_columns)
            if index <= last_select or sql_columns:
                return False
        return True

    @api.model
    def _scoring_insert_selects(self, ctx, selects, keep_only_todo=False):
        """Fill the working table with one INSERT of the composed selects:
        each select reads the rows of the selects before it. With
        ``keep_only_todo``, only the rows to score are kept (see
        :meth:`_scoring_todo_condition`). The same statement counts the
        population and evaluates the steps' summaries
        (``_scoring_summary_<step>(ctx, source)``, stored by
        ``_scoring_store_summary_<step>(ctx, value)``)."""
        ctes, names = [], ["partner_id"]
        accumulated = None
        for index, (step, select) in enumerate(selects):
            step_names = self._scoring_select_columns(step)
            aliases = SQL(", ").join(
                SQL.identifier(name) for name in ["partner_id", *step_names]
            )
            current = SQL.identifier(f"s_{index}")
            source = SQL.identifier(accumulated) if accumulated else None
            ctes.append(
                SQL(
                    "%s(%s) AS MATERIALIZED (%s)",
                    current,
                    aliases,
                    select(ctx, source),
                )
            )
            if accumulated is None:
                accumulated = f"s_{index}"
            else:
                joined = SQL.identifier(f"a_{index}")
                ctes.append(
                    SQL(
                        """%s AS (SELECT a.*, %s FROM %s a
                              LEFT JOIN %s s ON s.partner_id = a.partner_id)""",
                        joined,
                        SQL(", ").join(
                            SQL("s.%s", SQL.identifier(name)) for name in step_names
                        ),
                        SQL.identifier(accumulated),
                        current,
                    )
                )
                accumulated = f"a_{index}"
            names += step_names
        rows = SQL.identifier(accumulated)
        if keep_only_todo:
            rows = SQL(
                """(SELECT w.* FROM %(rows)s w
                     LEFT JOIN crm_lifecycle_profile p
                            ON p.partner_id = w.partner_id
                           AND p.company_id = %(company)s
                    WHERE %(todo)s)""",
                rows=rows,
                company=ctx.company.id,
                todo=self._scoring_todo_condition(ctx),
            )
        summaries = []
        for step, _select in selects:
            summary = getattr(self, f"_scoring_summary_{step.name}", None)
            if summary:
                summaries.append(
                    (step, SQL("(%s)", summary(ctx, SQL.identifier(accumulated))))
                )
        columns = SQL(", ").join(SQL.identifier(name) for name in names)
        # The planner's row estimates of joined CTEs are far off (millions):
        # JIT compiling the statement would cost more than running it.
        self.env.cr.execute("SET LOCAL jit = off")
        self.env.cr.execute(
            SQL(
                """WITH %(ctes)s,
                        inserted AS (INSERT INTO %(table)s (%(columns)s)
                                     SELECT %(columns)s FROM %(rows)s r
                                  RETURNING 1)
                   SELECT (SELECT COUNT(*) FROM %(all)s),
                          (SELECT COUNT(*) FROM inserted)%(summaries)s""",
                ctes=SQL(", ").join(ctes),
                table=ctx.sql_table,
                columns=columns,
                rows=rows,
                all=SQL.identifier(accumulated),
                summaries=SQL("").join(
                    SQL(", %s", summary) for _step, summary in summaries
                ),
            )
        )
        row = self.env.cr.fetchone()
        self.env.cr.execute("SET LOCAL jit = DEFAULT")
        ctx.population = row[0]
        for (step, _summary), value in zip(summaries, row[2:], strict=True):
            getattr(self, f"_scoring_store_summary_{step.name}")(ctx, value)

    @api.model
    def _scoring_select_columns(self, step):
        """The columns a step's select gives: all but those it decides in
        Python (``python_columns``), in declaration order."""
        return [name for name in step.columns if name not in step.python_columns]

    @api.model
    def _scoring_update_from_select(self, ctx, step, select):
        names = self._scoring_select_columns(step)
        self.env.cr.execute(
            SQL(
                """UPDATE %(table)s w SET %(assign)s
                     FROM (%(select)s) AS s(%(aliases)s)
                    WHERE s.partner_id = w.partner_id""",
                table=ctx.sql_table,
                assign=SQL(", ").join(
                    SQL("%s = s.%s", SQL.identifier(n), SQL.identifier(n))
                    for n in names
                ),
                select=select(ctx, ctx.sql_table),
                aliases=SQL(", ").join(
                    SQL.identifier(n) for n in ["partner_id", *names]
                ),
            )
        )

    @api.model
    def _scoring_drop(self, ctx):
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", ctx.sql_table))

    @api.model
    def _scoring_partner_ids(self, ctx, after=0):
        """The partners of the working table after ``after`` to score, in
        order: all of them, or for a run only those that need it (see
        :meth:`_scoring_todo_condition`)."""
        condition = self._scoring_todo_condition(ctx) if ctx.incremental else None
        self.env.cr.execute(
            SQL(
                """SELECT w.partner_id
                     FROM %(table)s w
                LEFT JOIN crm_lifecycle_profile p
                       ON p.partner_id = w.partner_id AND p.company_id = %(company)s
                    WHERE w.partner_id > %(after)s AND %(condition)s
                 ORDER BY 1""",
                table=ctx.sql_table,
                company=ctx.company.id,
                after=after,
                condition=condition or SQL("TRUE"),
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    @api.model
    def _scoring_todo_condition(self, ctx):
        """SQL condition on the working row ``w`` and the profile ``p``: the
        customer needs scoring because it has no profile, a column written
        from the working table differs, or a step with a batch part needs it
        (``_scoring_keep_<step>``). Skipping the others is exact: a scoring
        of them would write nothing (``crm.lifecycle.run.
        _lifecycle_count_mismatches`` checks it from scratch)."""
        parts = [SQL("p.id IS NULL")]
        for name, value in self._scoring_write_columns(ctx).items():
            parts.append(SQL("p.%s IS DISTINCT FROM %s", SQL.identifier(name), value))
        for step in ctx.steps:
            if not hasattr(self, f"_scoring_batch_{step.name}"):
                continue
            keep = getattr(self, f"_scoring_keep_{step.name}", None)
            parts.append(keep(ctx) if keep else SQL("TRUE"))
        return SQL("(%s)", SQL(" OR ").join(parts))

    @api.model
    def _scoring_flush(self):
        """Flush what the steps' SQL reads. Override when a step reads more."""
        self.env["res.partner"].flush_model(
            ["commercial_partner_id", "lifecycle_no_profiling"]
        )
        self.env["account.move"].flush_model(
            [
                "company_id",
                "state",
                "move_type",
                "commercial_partner_id",
                "invoice_date",
                "amount_untaxed_signed",
            ]
        )
        self.env["crm.lead"].flush_model(
            ["company_id", "type", "active", "probability", "partner_id"]
        )
        self.env["crm.lifecycle.segment"].flush_model()
        self.env["crm.lifecycle.profile"].flush_model()

    # ------------------------------------------------------------
    # ENTRY POINTS (one transaction)
    # ------------------------------------------------------------

    @api.model
    def _scoring_score_company(self, company, today):
        """Score every customer of ``company`` (a root company) as of
        ``today`` from scratch, in the current transaction (demo data,
        back-fills, scripts, the benchmark's comparison); the scheduled job
        does the same in committed batches. Returns ``{"changed": n,
        "stage_changes": m}``."""
        self = self.sudo().with_company(company)
        ctx = self._scoring_context(company, today)
        self._scoring_prepare(ctx)
        stats = {"changed": 0, "stage_changes": 0}
        partner_ids = self._scoring_partner_ids(ctx)
        for start in range(0, len(partner_ids), BATCH_SIZE):
            batch = self._scoring_run_batch(
                ctx, partner_ids[start : start + BATCH_SIZE]
            )
            stats["changed"] += batch.changed
            stats["stage_changes"] += batch.stage_changes
        self._scoring_drop(ctx)
        return stats

    @api.model
    def _scoring_score_partners(self, company, today, partner_ids):
        """Score the customers ``partner_ids`` of ``company`` as of ``today``
        in the current transaction, RFM against the cut-points of the last
        full run. Refuses at once, without waiting, while a scheduled run of
        the company is in progress or another transaction holds one of the
        profiles."""
        self = self.sudo().with_company(company)
        self._scoring_check_no_run(company)
        self.env["crm.lifecycle.profile"]._lifecycle_lock_profiles(company, partner_ids)
        ctx = self._scoring_context(company, today, partner_ids=partner_ids)
        self._scoring_prepare(ctx)
        partner_ids = self._scoring_partner_ids(ctx)
        batch = self._scoring_run_batch(ctx, partner_ids) if partner_ids else None
        self._scoring_drop(ctx)
        return {
            "changed": batch.changed if batch else 0,
            "stage_changes": batch.stage_changes if batch else 0,
        }

    @api.model
    def _scoring_check_no_run(self, company):
        """Raise when another database session runs the scheduled scoring of
        ``company`` (it holds the company's advisory lock)."""
        self.env.cr.execute(
            """
            SELECT 1 FROM pg_locks
             WHERE locktype = 'advisory' AND granted
               AND classid = %s AND objid = %s AND objsubid = 2
               AND database = (SELECT oid FROM pg_database
                                WHERE datname = current_database())
               AND pid <> pg_backend_pid()
            """,
            [LOCK_NAMESPACE, company.id],
        )
        if self.env.cr.fetchone():
            raise UserError(
                self.env._(
                    "A scoring run of %(company)s is in progress; the customer "
                    "is recomputed by it. Try again when it has finished.",
                    company=company.name,
                )
            )
