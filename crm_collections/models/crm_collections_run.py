import logging
import threading

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .crm_collections_promise import BROKEN_PROMISE_DAYS

_logger = logging.getLogger(__name__)

# First key of the (int, int) advisory lock of a company's dunning
# generation; the second key is the company id.
LOCK_NAMESPACE = 808012
WORK_TABLE = "crm_collections_generation"


class CrmCollectionsRun(models.Model):
    """A dunning run of one company on one date: one line per customer whose
    overdue invoices newly reached a level.

    Generation is set-based (one SQL statement builds the per-invoice work
    table, two INSERT ... SELECT write the lines and their invoices), under a
    per-company advisory lock, and idempotent: a run left in ``generating``
    by a killed worker is generated again without duplicates (unique (run,
    partner) and (line, move), ``ON CONFLICT DO NOTHING``).
    """

    _name = "crm.collections.run"
    _description = "Dunning Run"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        readonly=True,
    )
    date = fields.Date(
        required=True,
        default=fields.Date.context_today,
        readonly=True,
        help="Invoices are overdue on this date.",
    )
    policy_id = fields.Many2one(
        comodel_name="crm.collections.policy",
        string="Default Policy",
        check_company=True,
        readonly=True,
        help="The company's default policy when the run was generated; "
        "customers with a policy of their own follow theirs.",
    )
    mode = fields.Selection(related="policy_id.mode")
    state = fields.Selection(
        selection=[
            ("draft", "Draft"),
            ("generating", "Generating"),
            ("review", "In Review"),
            ("sending", "Sending"),
            ("done", "Done"),
            ("interrupted", "Interrupted"),
        ],
        required=True,
        default="draft",
        readonly=True,
        index=True,
        tracking=True,
        help="Sending: the lines to send wait for the sending job.",
    )
    line_ids = fields.One2many(
        comodel_name="crm.collections.line", inverse_name="run_id", string="Lines"
    )
    line_count = fields.Integer(readonly=True, string="Lines Generated")
    invoice_count = fields.Integer(readonly=True, string="Invoices Dunned")
    skipped_count = fields.Integer(
        readonly=True,
        string="Invoices Paused",
        help="Overdue invoices paused by a dispute, a promise or a block.",
    )
    duration = fields.Float(readonly=True, help="Seconds the generation took.")

    def write(self, vals):
        if not self.env.su and set(vals) - {"name"}:
            raise AccessError(
                self.env._("Dunning runs are changed by their buttons only.")
            )
        return super().write(vals)

    @api.depends("company_id", "date")
    def _compute_name(self):
        for run in self:
            run.name = f"{run.company_id.name or ''} {run.date or ''}".strip()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.model
    def action_new_run(self):
        """The "New run" button: generate a run of the current company today."""
        if not self.env.user.has_group("crm_collections.group_collections_manager"):
            raise UserError(self.env._("Only a collections manager can start a run."))
        run = self.create({"company_id": self.env.company.id})
        run._collections_generate()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "view_mode": "form",
        }

    def action_generate(self):
        self.ensure_one()
        if self.state not in ("draft", "generating", "interrupted"):
            raise UserError(self.env._("This run is already generated."))
        self._collections_generate()

    def action_validate(self):
        """Review done: the draft lines are ready for the sending job."""
        for run in self:
            if run.state != "review":
                raise UserError(self.env._("Only a run in review can be validated."))
        self.check_access("write")
        self._collections_mark_to_send(
            self.line_ids.filtered(lambda line: line.state == "draft")
        )
        self.sudo().write({"state": "sending"})

    # ------------------------------------------------------------
    # SCHEDULED JOB
    # ------------------------------------------------------------

    @api.model
    def _cron_collections_run(self, today=None):
        """Daily: settle promises, then per company with a default policy
        resume a run left generating or generate today's run."""
        today = today or fields.Date.context_today(self)
        self = self.sudo()
        self.env["crm.collections.promise"]._cron_collections_promises(today)
        policies = self.env["crm.collections.policy"].search(
            [("is_default", "=", True)]
        )
        runs = self.browse()
        for company in policies.company_id:
            run = self.search(
                [("company_id", "=", company.id), ("state", "=", "generating")], limit=1
            ) or self.search(
                [("company_id", "=", company.id), ("date", "=", today)], limit=1
            )
            if run and run.state not in ("draft", "generating"):
                continue
            run = run or self.create({"company_id": company.id, "date": today})
            try:
                run._collections_generate(commit=True)
            except UserError as error:
                _logger.warning("Dunning run of %s skipped: %s", company.name, error)
                continue
            runs |= run
        return runs

    # ------------------------------------------------------------
    # GENERATION
    # ------------------------------------------------------------

    def _collections_try_lock(self):
        self.env.cr.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, self.company_id.id]
        )
        return self.env.cr.fetchone()[0]

    def _collections_unlock(self):
        self.env.cr.execute(
            "SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, self.company_id.id]
        )

    def _collections_generate(self, commit=False):
        """Generate the lines of this run under the company's lock (a second
        generation of the same company gets a clear error). Idempotent."""
        self.ensure_one()
        if not self.env.su and not self.env.user.has_group(
            "crm_collections.group_collections_manager"
        ):
            raise AccessError(
                self.env._("Only a collections manager can generate a dunning run.")
            )
        policy = self.env["crm.collections.policy"]._collections_default_policy(
            self.company_id
        )
        if not policy:
            raise UserError(
                self.env._(
                    "The company %(company)s has no default dunning policy.",
                    company=self.company_id.name,
                )
            )
        if not self._collections_try_lock():
            raise UserError(
                self.env._(
                    "A dunning run of %(company)s is being generated by another "
                    "process. Try again when it is done.",
                    company=self.company_id.name,
                )
            )
        try:
            start = fields.Datetime.now()
            self.sudo().write({"state": "generating", "policy_id": policy.id})
            self.env.flush_all()  # outside the savepoint below
            if commit and not getattr(threading.current_thread(), "testing", False):
                self.env.cr.commit()  # pylint: disable=invalid-commit
            # a savepoint: on error the lock is still released cleanly
            with self.env.cr.savepoint():
                self._collections_generate_lines(policy)
            counts = self._collections_counts()
            state = "review" if policy.mode == "review" else "sending"
            self.sudo().write(
                {
                    **counts,
                    "state": state,
                    "duration": (fields.Datetime.now() - start).total_seconds(),
                }
            )
            if state == "sending":
                self._collections_mark_to_send(
                    self.line_ids.filtered(lambda line: line.state == "draft")
                )
            if commit and not getattr(threading.current_thread(), "testing", False):
                self.env.cr.commit()  # pylint: disable=invalid-commit
        finally:
            self._collections_unlock()

    def _collections_counts(self):
        self.env.cr.execute(
            """
            SELECT COUNT(DISTINCT line.id),
                   COUNT(li.id) FILTER (WHERE li.skip_reason IS NULL),
                   COUNT(li.id) FILTER (WHERE li.skip_reason IS NOT NULL)
              FROM crm_collections_line line
              LEFT JOIN crm_collections_line_invoice li ON li.line_id = line.id
             WHERE line.run_id = %s
            """,
            [self.id],
        )
        lines, invoices, skipped = self.env.cr.fetchone()
        return {
            "line_count": lines,
            "invoice_count": invoices,
            "skipped_count": skipped,
        }

    def _collections_generate_lines(self, policy):
        """Build the work table of overdue invoices and bulk-insert the lines
        and line invoices. No query per customer or invoice."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(WORK_TABLE)))
        cr.execute(self._collections_work_table_sql(policy))
        cr.execute(SQL("ANALYZE %s", SQL.identifier(WORK_TABLE)))
        cr.execute(self._collections_insert_lines_sql())
        cr.execute(self._collections_insert_line_invoices_sql())
        cr.execute(SQL("DROP TABLE %s", SQL.identifier(WORK_TABLE)))
        self.env.invalidate_all()

    def _collections_work_table_sql(self, policy):
        """One row per overdue invoice of the company: the customer's policy
        (its own or the default), its value adaptation (VIP, poor payer,
        broken promise), the level reached after adaptation, whether that
        level is new (never dunned at it or higher) and why it is paused."""
        company = self.company_id
        payment_record = self.env["res.partner"]._collections_payment_record_sql(
            company, self.date
        )
        return SQL(
            """
            CREATE TEMP TABLE %(table)s ON COMMIT DROP AS
            WITH open_inv AS (
                SELECT aml.move_id,
                       move.commercial_partner_id AS partner_id,
                       move.name AS move_name,
                       move.currency_id,
                       MIN(aml.date_maturity) AS date_maturity,
                       SUM(aml.amount_residual) AS residual,
                       SUM(aml.amount_residual_currency) AS residual_currency
                  FROM account_move_line aml
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN account_account acc ON acc.id = aml.account_id
                 WHERE aml.company_id = %(company)s
                   AND acc.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND aml.amount_residual > 0
                   AND aml.date_maturity < %(date)s
                   AND move.move_type = 'out_invoice'
                 GROUP BY aml.move_id, move.commercial_partner_id, move.name,
                          move.currency_id
            ), partners AS (
                SELECT DISTINCT partner_id FROM open_inv
            ), pol AS (
                SELECT partners.partner_id,
                       COALESCE(own.id, %(default_policy)s) AS policy_id
                  FROM partners
                  JOIN res_partner rp ON rp.id = partners.partner_id
                  LEFT JOIN crm_collections_policy own
                    ON own.id = (rp.crm_collections_policy_id ->> %(company_key)s)::int
                   AND own.active AND own.company_id = %(company)s
            ), val AS (
                SELECT pol.partner_id, pol.policy_id,
                       COALESCE(prof.predicted_clv, 0) AS clv,
                       prof.tier_id,
                       COALESCE(rec.avg_days_late, 0) AS avg_days_late,
                       COALESCE(cp.vip_extra_days, 0) AS vip_extra_days,
                       COALESCE(cp.poor_payer_fewer_days, 0) AS poor_payer_fewer_days,
                       COALESCE(
                           (COALESCE(cp.vip_min_predicted_clv, 0) > 0
                            AND COALESCE(prof.predicted_clv, 0)
                                >= cp.vip_min_predicted_clv)
                           OR (vip_tier.id IS NOT NULL
                               AND tier.sequence >= vip_tier.sequence),
                           FALSE) AS vip,
                       COALESCE(
                           COALESCE(cp.poor_payer_min_days_late, 0) > 0
                           AND COALESCE(rec.avg_days_late, 0)
                               >= cp.poor_payer_min_days_late
                           AND (COALESCE(cp.poor_payer_max_clv, 0) = 0
                                OR COALESCE(prof.predicted_clv, 0)
                                   <= cp.poor_payer_max_clv),
                           FALSE) AS poor,
                       EXISTS (
                           SELECT 1 FROM crm_collections_promise pr
                            WHERE pr.partner_id = pol.partner_id
                              AND pr.company_id = %(company)s
                              AND pr.state = 'broken'
                              AND pr.date >= %(date)s - %(broken_days)s
                       ) AS broken
                  FROM pol
                  JOIN crm_collections_policy cp ON cp.id = pol.policy_id
                  LEFT JOIN crm_lifecycle_profile prof
                    ON prof.partner_id = pol.partner_id AND prof.company_id = %(root)s
                  LEFT JOIN crm_lifecycle_tier tier ON tier.id = prof.tier_id
                  LEFT JOIN crm_lifecycle_tier vip_tier
                    ON vip_tier.id = cp.vip_min_tier_id
                  LEFT JOIN (%(payment_record)s) rec ON rec.partner_id = pol.partner_id
            ), shifted AS (
                SELECT val.*,
                       CASE WHEN val.vip THEN val.vip_extra_days
                            WHEN val.poor OR val.broken THEN -val.poor_payer_fewer_days
                            ELSE 0 END AS shift
                  FROM val
            ), inv AS (
                SELECT oi.*, s.policy_id, s.clv, s.tier_id, s.avg_days_late,
                       s.vip, s.poor, s.broken, s.shift, s.vip_extra_days,
                       s.poor_payer_fewer_days,
                       (%(date)s - oi.date_maturity) AS days_overdue,
                       lvl.id AS level_id, lvl.sequence AS level_seq,
                       lvl.channel AS level_channel
                  FROM open_inv oi
                  JOIN shifted s ON s.partner_id = oi.partner_id
                  JOIN LATERAL (
                      SELECT l.id, l.sequence, l.channel
                        FROM crm_collections_level l
                       WHERE l.policy_id = s.policy_id
                         AND GREATEST(l.days + s.shift, 1)
                             <= %(date)s - oi.date_maturity
                       ORDER BY l.days DESC
                       LIMIT 1
                  ) lvl ON TRUE
            ), dunned AS (
                SELECT li.move_id, MAX(lvl.sequence) AS level_seq
                  FROM crm_collections_line_invoice li
                  JOIN crm_collections_line line ON line.id = li.line_id
                  JOIN crm_collections_level lvl ON lvl.id = li.level_id
                 WHERE line.state IN ('to_send', 'sent')
                   AND line.run_id != %(run)s
                   AND li.skip_reason IS NULL
                   AND li.move_id IN (SELECT move_id FROM open_inv)
                 GROUP BY li.move_id
            ), paused AS (
                SELECT inv.move_id,
                       CASE
                         WHEN EXISTS (
                             SELECT 1 FROM crm_collections_dispute d
                              WHERE d.move_id = inv.move_id AND d.state = 'open')
                           THEN 'dispute'
                         WHEN EXISTS (
                             SELECT 1 FROM crm_collections_promise pr
                              WHERE pr.partner_id = inv.partner_id
                                AND pr.company_id = %(company)s
                                AND pr.state = 'open'
                                AND pr.date >= %(date)s
                                AND (NOT EXISTS (
                                        SELECT 1 FROM crm_collections_promise_move_rel r
                                          WHERE r.promise_id = pr.id)
                                     OR EXISTS (
                                        SELECT 1 FROM crm_collections_promise_move_rel r
                                          WHERE r.promise_id = pr.id
                                            AND r.move_id = inv.move_id)))
                           THEN 'promise'
                         WHEN EXISTS (
                             SELECT 1 FROM crm_collections_block b
                              WHERE b.partner_id = inv.partner_id
                                AND b.company_id = %(company)s
                                AND (b.end_date IS NULL OR b.end_date >= %(date)s))
                           THEN 'block_partner'
                         WHEN EXISTS (
                             SELECT 1 FROM crm_collections_block b
                              WHERE b.move_id = inv.move_id
                                AND (b.end_date IS NULL OR b.end_date >= %(date)s))
                           THEN 'block_invoice'
                       END AS skip_reason
                  FROM inv
            )
            SELECT inv.*, paused.skip_reason,
                   (paused.skip_reason IS NULL
                    AND (dunned.level_seq IS NULL OR inv.level_seq > dunned.level_seq)
                   ) AS new_level
              FROM inv
              JOIN paused ON paused.move_id = inv.move_id
              LEFT JOIN dunned ON dunned.move_id = inv.move_id
            """,
            table=SQL.identifier(WORK_TABLE),
            company=company.id,
            company_key=str(company.id),
            root=company.root_id.id,
            date=self.date,
            run=self.id,
            default_policy=policy.id,
            broken_days=BROKEN_PROMISE_DAYS,
            payment_record=payment_record,
        )

    def _collections_insert_lines_sql(self):
        """One line per customer with at least one invoice at a new level: the
        line's level is the highest new level, its channel the level's (a
        phone call by the salesperson for a VIP), its explanation the codes
        and numbers of why."""
        return SQL(
            """
            INSERT INTO crm_collections_line (
                run_id, date, company_id, partner_id, policy_id, level_id,
                channel, user_id, state, amount_total, invoice_count,
                explanation_data, create_uid, create_date, write_uid, write_date)
            SELECT %(run)s, %(date)s, %(company)s, g.partner_id, g.policy_id,
                   top.level_id,
                   CASE WHEN g.vip THEN 'phone' ELSE top.level_channel END,
                   CASE WHEN g.vip THEN rp.user_id END,
                   'draft', g.total, g.invoice_count,
                   jsonb_build_array(jsonb_build_object(
                       'code', 'level', 'level_id', top.level_id,
                       'move', top.move_name, 'days', top.days_overdue))
                   || CASE WHEN g.vip THEN jsonb_build_array(jsonb_build_object(
                          'code', 'vip', 'tier_id', g.tier_id, 'clv', g.clv,
                          'extra_days', g.vip_extra_days,
                          'channel', top.level_channel))
                      ELSE '[]'::jsonb END
                   || CASE WHEN NOT g.vip AND g.poor
                      THEN jsonb_build_array(jsonb_build_object(
                          'code', 'poor_payer', 'avg_days_late', g.avg_days_late,
                          'clv', g.clv, 'fewer_days', g.poor_payer_fewer_days))
                      ELSE '[]'::jsonb END
                   || CASE WHEN NOT g.vip AND g.broken
                      THEN jsonb_build_array(jsonb_build_object(
                          'code', 'broken_promise',
                          'fewer_days', g.poor_payer_fewer_days))
                      ELSE '[]'::jsonb END
                   || g.skipped,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM (
                  SELECT partner_id, policy_id,
                         bool_or(vip) AS vip, bool_or(poor) AS poor,
                         bool_or(broken) AS broken,
                         MAX(tier_id) AS tier_id, MAX(clv) AS clv,
                         MAX(avg_days_late) AS avg_days_late,
                         MAX(vip_extra_days) AS vip_extra_days,
                         MAX(poor_payer_fewer_days) AS poor_payer_fewer_days,
                         COALESCE(SUM(residual) FILTER (WHERE skip_reason IS NULL), 0)
                             AS total,
                         COUNT(*) FILTER (WHERE skip_reason IS NULL) AS invoice_count,
                         COALESCE(jsonb_agg(jsonb_build_object(
                             'code', 'skip', 'reason', skip_reason, 'move', move_name)
                             ORDER BY move_id) FILTER (WHERE skip_reason IS NOT NULL),
                             '[]'::jsonb) AS skipped
                    FROM %(table)s
                   GROUP BY partner_id, policy_id
                  HAVING bool_or(new_level)
              ) g
              JOIN res_partner rp ON rp.id = g.partner_id
              JOIN (
                  SELECT DISTINCT ON (w.partner_id)
                         w.partner_id, w.level_id, w.level_channel, w.move_name,
                         w.days_overdue
                    FROM %(table)s w
                   WHERE w.new_level
                   ORDER BY w.partner_id, w.level_seq DESC, w.days_overdue DESC,
                            w.move_id
              ) top ON top.partner_id = g.partner_id
            ON CONFLICT (run_id, partner_id) DO NOTHING
            """,
            table=SQL.identifier(WORK_TABLE),
            run=self.id,
            date=self.date,
            company=self.company_id.id,
            uid=self.env.uid,
        )

    def _collections_insert_line_invoices_sql(self):
        return SQL(
            """
            INSERT INTO crm_collections_line_invoice (
                line_id, move_id, date_maturity, level_id, days_overdue, currency_id,
                amount_residual_currency, amount_residual, new_level, skip_reason)
            SELECT line.id, w.move_id, w.date_maturity, w.level_id, w.days_overdue,
                   w.currency_id, w.residual_currency, w.residual, w.new_level,
                   w.skip_reason
              FROM %(table)s w
              JOIN crm_collections_line line
                ON line.run_id = %(run)s AND line.partner_id = w.partner_id
            ON CONFLICT (line_id, move_id) DO NOTHING
            """,
            table=SQL.identifier(WORK_TABLE),
            run=self.id,
        )

    # ------------------------------------------------------------
    # READY TO SEND, LAST LEVEL
    # ------------------------------------------------------------

    def _collections_mark_to_send(self, lines):
        """Lines are ready for the sending job; customers at a last level
        are handed over (``_dunning_on_last_level``)."""
        if not lines:
            return
        lines.sudo().write({"state": "to_send"})
        last = lines.filtered("level_id.is_last")
        for company in last.company_id:
            company_lines = last.filtered(lambda line: line.company_id == company)
            self._dunning_on_last_level(company_lines.partner_id, company)

    @api.model
    def _dunning_on_last_level(self, partners, company):
        """Hook: ``partners`` (commercial entities) reached the last dunning
        level in ``company``. Here: a handover activity for a collections
        manager on each of their lines to send. The financial-risk issue
        (issue 9) overrides it to put the partners on credit hold; call
        ``super()``. Writes nothing on ``res_partner``."""
        lines = self.env["crm.collections.line"].search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "=", company.id),
                ("state", "=", "to_send"),
                ("level_id.is_last", "=", True),
            ]
        )
        manager = self.env.ref(
            "crm_collections.group_collections_manager"
        ).users.filtered(
            lambda user: (
                company in user.company_ids
                and not user.share
                and user.id != self.env.ref("base.user_root").id
            )
        )[:1]
        if not lines or not manager:
            return
        model = self.env["ir.model"]._get_id("crm.collections.line")
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        summary = self.env._("Last dunning level: hand over the collection")
        self.env["mail.activity"].sudo().create(
            [
                {
                    "res_model_id": model,
                    "res_id": line.id,
                    "activity_type_id": activity_type.id,
                    "user_id": manager.id,
                    "summary": summary,
                    "note": Markup("<p>%s</p>") % line.partner_id.display_name,
                }
                for line in lines
            ]
        )
