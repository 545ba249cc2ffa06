import logging
import threading
import time

from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .crm_lifecycle_scoring import BATCH_SIZE, LOCK_NAMESPACE, run_table

_logger = logging.getLogger(__name__)

# A batch that meets a concurrent update (a customer recomputed by hand
# meanwhile) is rolled back and tried again this many times.
BATCH_RETRIES = 3
# A run re-analyses the profiles once it has added this many, and at least as
# many as the statistics knew (see _lifecycle_refresh_statistics).
ANALYZE_MIN_ROWS = 1000
RETRY_ERRORS = (errors.SerializationFailure, errors.DeadlockDetected)


class CrmLifecycleRun(models.Model):
    """One run of the scoring job for one (root) company and day.

    The run owns the job: it takes the company's lock, builds its working
    table (a table of its own that survives commits and restarts), scores
    the customers in committed batches through the pipeline of
    ``crm.lifecycle.scoring``, records its checkpoint with every batch and
    reports progress, so that a job that crashed or was killed resumes after
    its last committed batch, without preparing its data again.
    """

    _name = "crm.lifecycle.run"
    _description = "Customer Lifecycle Scoring Run"
    _order = "id desc"

    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
    date = fields.Date(
        required=True,
        readonly=True,
        help="The day the figures and stages are computed for.",
    )
    state = fields.Selection(
        [
            ("running", "Running"),
            ("done", "Done"),
            ("interrupted", "Interrupted"),
        ],
        required=True,
        default="running",
        readonly=True,
        index=True,
    )
    start_datetime = fields.Datetime(
        string="Started", required=True, readonly=True, default=fields.Datetime.now
    )
    end_datetime = fields.Datetime(string="Finished", readonly=True)
    prepared = fields.Boolean(
        readonly=True,
        help="The run's working data is built; a resumed run reuses it.",
    )
    last_partner_id = fields.Integer(
        string="Checkpoint",
        readonly=True,
        help="Customers up to this partner id are done; a resumed run starts after it.",
    )
    partner_total = fields.Integer(string="Customers", readonly=True)
    partner_done = fields.Integer(string="Customers Done", readonly=True)
    scored_count = fields.Integer(
        string="Customers Scored",
        readonly=True,
        help="Customers that needed scoring: new, with changed figures or "
        "scores, or whose stage decision had to be taken again. The others "
        "are left as they are (a scoring would write nothing).",
    )
    changed_count = fields.Integer(
        string="Customers Changed",
        readonly=True,
        help="Customers whose figures or stage changed.",
    )
    stage_change_count = fields.Integer(string="Stage Changes", readonly=True)
    resume_count = fields.Integer(
        string="Resumed",
        readonly=True,
        help="How many times the run resumed after a crash.",
    )
    prepare_seconds = fields.Float(
        string="Preparation (s)", digits=(16, 1), readonly=True
    )
    step_keys = fields.Json(
        readonly=True,
        help="What each step's rules depended on (thresholds, stages): a "
        "change makes the next run decide every customer again.",
    )
    rfm_cutpoints = fields.Json(
        string="RFM Cut-points",
        readonly=True,
        help="The lowest value of each RFM score 2-5 in this run; customers "
        "recomputed by hand are scored against those of the last run.",
    )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.model
    def action_run_now(self):
        """Trigger the scheduled job now; the cron worker runs it."""
        if not self.env.user.has_group("crm_lifecycle.group_lifecycle_manager"):
            raise AccessError(
                self.env._("Only lifecycle managers can start the scoring job.")
            )
        self.env.ref("crm_lifecycle.ir_cron_lifecycle_recompute").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "The scoring job will start within a minute; reload to "
                    "follow its progress."
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    # ------------------------------------------------------------
    # SCHEDULED JOB
    # ------------------------------------------------------------

    @api.model
    def _cron_lifecycle_scoring(self, today=None, batch_size=BATCH_SIZE):
        """Daily job: run the scoring pipeline for every root company.

        Per company: take the company's lock (a second process skips the
        company with a message), resume today's unfinished run or start one,
        build its working table once, score in committed batches of
        ``batch_size`` with progress. When a run finished, trigger the
        refresh of the lifecycle reports (:meth:`_cron_lifecycle_kpi_refresh`,
        a scheduled action of its own, once for all companies). Returns the
        runs.
        """
        today = today or fields.Date.context_today(self)
        self = self.sudo()
        companies = self.env["res.company"].search([("parent_id", "=", False)])
        Profile = self.env["crm.lifecycle.profile"]
        estimates = {
            company: Profile.search_count([("company_id", "=", company.id)])
            for company in companies
        }
        runs = self.browse()
        done = 0
        for index, company in enumerate(companies):
            if not self._lifecycle_try_lock(company):
                _logger.warning(
                    "Lifecycle scoring of %s skipped: another process is running it.",
                    company.name,
                )
                continue
            try:
                run = self.with_company(company)._lifecycle_start_run(company, today)
                runs |= run
                later = sum(estimates[other] for other in companies[index + 1 :])
                done = run._lifecycle_process(batch_size, done, later)
            finally:
                self._lifecycle_unlock(company)
        if runs.filtered(lambda run: run.state == "done"):
            # the reports read the new stages, history and scores
            refresh = self.env.ref(
                "crm_lifecycle.ir_cron_lifecycle_kpi_refresh", raise_if_not_found=False
            )
            if refresh:
                refresh._trigger()
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        return runs

    @api.model
    def _cron_lifecycle_kpi_refresh(self):
        """Refresh the lifecycle reports (materialised views, see
        ``crm.lifecycle.kpi.mixin``): triggered by the scoring job when a run
        finishes, and daily. A job of its own, so that its time and a failure
        of it stay apart from the scoring's."""
        self.env["crm.lifecycle.kpi.mixin"].sudo()._kpi_refresh()

    @api.model
    def _lifecycle_try_lock(self, company):
        """Take the session-level advisory lock of ``company``'s scoring
        without waiting; it outlives the batch commits and dies with the
        connection (a killed worker releases it)."""
        self.env.cr.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, company.id]
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _lifecycle_unlock(self, company):
        self.env.cr.execute(
            "SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, company.id]
        )

    @api.model
    def _lifecycle_start_run(self, company, today):
        """Resume today's unfinished run of ``company`` or start a new one;
        runs of other days left running are interrupted."""
        running = self.search(
            [("company_id", "=", company.id), ("state", "=", "running")]
        )
        stale = running.filtered(lambda run: run.date != today)
        for run in stale:
            run._lifecycle_drop_table()
        stale.write({"state": "interrupted", "end_datetime": fields.Datetime.now()})
        run = (running - stale)[:1]
        if run:
            _logger.info(
                "Lifecycle run %s of %s resumes after partner %s",
                run.id,
                company.name,
                run.last_partner_id,
            )
            run.resume_count += 1
        else:
            run = self.create({"company_id": company.id, "date": today})
        self._lifecycle_commit()
        return run

    def _lifecycle_context(self):
        self.ensure_one()
        return self.env["crm.lifecycle.scoring"]._scoring_context(
            self.company_id, self.date, run=self
        )

    def _lifecycle_process(self, batch_size, done, later):
        """Prepare (once) and score this run in committed batches.

        :param done: customers done earlier in this job (for progress)
        :param later: customers of the companies still to score
        :return: ``done`` plus this run's customers
        """
        self.ensure_one()
        Scoring = self.env["crm.lifecycle.scoring"].with_company(self.company_id)
        ctx = self._lifecycle_context()
        if not self.prepared or not Scoring._scoring_table_exists(ctx):
            start = time.perf_counter()
            Scoring._scoring_drop(ctx)
            Scoring._scoring_prepare(ctx)
            self.write(
                {
                    "prepared": True,
                    "last_partner_id": 0,
                    "partner_done": 0,
                    "partner_total": ctx.population,
                    "prepare_seconds": time.perf_counter() - start,
                }
            )
            self._lifecycle_commit()
        todo = Scoring._scoring_partner_ids(ctx, after=self.last_partner_id)
        self.step_keys = ctx.step_keys
        # customers before the checkpoint, or that need no scoring, are done
        base = self.partner_total - len(todo)
        known, added = self._lifecycle_analyzed_rows(), 0
        for start in range(0, len(todo), batch_size):
            batch_ids = todo[start : start + batch_size]
            batch = self._lifecycle_run_batch(Scoring, ctx, batch_ids)
            self.write(
                {
                    "last_partner_id": batch_ids[-1],
                    "partner_done": base + start + len(batch_ids),
                    "scored_count": self.scored_count + len(batch_ids),
                    "changed_count": self.changed_count + batch.changed,
                    "stage_change_count": self.stage_change_count + batch.stage_changes,
                }
            )
            self._lifecycle_commit()
            added += batch.inserted
            if added >= max(ANALYZE_MIN_ROWS, known):
                self._lifecycle_refresh_statistics()
                known, added = known + added, 0
            done += len(batch_ids)
            self.env["ir.cron"]._notify_progress(
                done=done, remaining=len(todo) - start - len(batch_ids) + later
            )
        Scoring._scoring_drop(ctx)
        self.write(
            {
                "state": "done",
                "end_datetime": fields.Datetime.now(),
                "partner_done": self.partner_total,
            }
        )
        self._lifecycle_commit()
        return done

    @api.model
    def _lifecycle_analyzed_rows(self):
        """The number of profiles the planner's statistics know of."""
        self.env.cr.execute(
            "SELECT GREATEST(reltuples, 0)::int8 FROM pg_class "
            "WHERE oid = 'crm_lifecycle_profile'::regclass"
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _lifecycle_refresh_statistics(self):
        """ANALYZE the profiles. A first run creates every profile: with the
        statistics of an empty table, the planner joins a batch to the
        profiles by scanning all of them for each row (measured at 100,000
        customers: 1 s per batch of 2,000 after 30,000 profiles, 9 s after
        56,000, quadratic over the run) until autovacuum catches up, which
        made a first run take 23 to 90 s. Called each time the run has
        added as many profiles as the statistics knew (at least
        :data:`ANALYZE_MIN_ROWS`), i.e. a logarithmic number of times."""
        self.env.cr.execute("ANALYZE crm_lifecycle_profile")

    def _lifecycle_run_batch(self, Scoring, ctx, batch_ids):
        """Score one batch; a batch that meets a concurrent update is rolled
        back to the last commit and tried again."""
        for attempt in range(1, BATCH_RETRIES + 1):
            try:
                with self.env.cr.savepoint():
                    return Scoring._scoring_run_batch(ctx, batch_ids)
            except RETRY_ERRORS as error:
                if attempt == BATCH_RETRIES:
                    raise
                _logger.info(
                    "Lifecycle run %s: batch after partner %s retried (%s)",
                    self.id,
                    batch_ids[0],
                    error.pgcode,
                )
                if not self._lifecycle_testing():
                    # The transaction's snapshot saw the conflict: start a
                    # new transaction from the last committed batch.
                    self.env.cr.rollback()

    def _lifecycle_drop_table(self):
        for run in self:
            self.env.cr.execute(
                SQL("DROP TABLE IF EXISTS %s", SQL.identifier(run_table(run.id)))
            )

    @api.model
    def _lifecycle_testing(self):
        return getattr(threading.current_thread(), "testing", False)

    @api.model
    def _lifecycle_commit(self):
        """Commit a batch; tests keep their single transaction."""
        if not self._lifecycle_testing():
            # Batch jobs commit their progress so that a crash or a restart
            # resumes after the last batch instead of starting over.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    # ------------------------------------------------------------
    # CHECKS
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_count_mismatches(self, company, today):
        """How many profiles of ``company`` a from-scratch scoring as of
        ``today`` would change (0 when the stored scores are right). Runs
        the whole pipeline without any shortcut and rolls it back."""
        self = self.sudo()
        if company.parent_id:
            raise UserError(self.env._("Profiles belong to root companies."))
        self.env.flush_all()
        try:
            with self.env.cr.savepoint(flush=False) as savepoint:
                stats = self.env["crm.lifecycle.scoring"]._scoring_score_company(
                    company, today
                )
                self.env.flush_all()
                savepoint.rollback()
        finally:
            self.env.invalidate_all()
        return stats["changed"]
