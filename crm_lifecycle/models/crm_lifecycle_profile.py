import logging
import threading
from datetime import datetime, time

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import split_every

from ..lib import demo_data, stage_engine
from .crm_lifecycle_stage import STAGE_KINDS

_logger = logging.getLogger(__name__)

# Customers scored per committed batch of the scheduled job.
BATCH_SIZE = 2000

# Stage state of a profile that the stage engine reads before deciding.
STAGE_COLUMNS = [
    "stage_id",
    "stage_kind",
    "stage_sequence",
    "stage_date",
    "stage_locked",
    "lock_until",
]


class CrmLifecycleProfile(models.Model):
    """The lifecycle of one customer (commercial partner) in one company.

    Figures, scores and stage live here rather than on ``res.partner``: the
    nightly job rewrites only rows of this table whose values changed, and
    never touches ``res_partner`` (whose ``write_date`` drives integrations).
    """

    _name = "crm.lifecycle.profile"
    _description = "Customer Lifecycle Profile"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "stage_sequence, revenue_12m desc, id"
    _rec_names_search = ["partner_id"]
    _check_company_auto = True

    # Identity
    # Indexed by the unique (partner_id, company_id) constraint.
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        ondelete="cascade",
        domain="[('is_company', '=', True)]",
        help="The commercial entity: invoices of its contacts count for it.",
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        ondelete="cascade",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        related="partner_id.user_id", string="Salesperson", readonly=True
    )
    color = fields.Integer(related="stage_id.color")

    # Stage
    stage_id = fields.Many2one(
        comodel_name="crm.lifecycle.stage",
        index=True,
        tracking=True,
        ondelete="restrict",
        group_expand="_read_group_stage_ids",
    )
    stage_kind = fields.Selection(
        related="stage_id.kind", store=True, string="Stage Kind", index=True
    )
    stage_sequence = fields.Integer(related="stage_id.sequence", store=True)
    stage_date = fields.Date(
        string="In Stage Since", help="The day the customer entered its stage."
    )
    days_in_stage = fields.Integer(compute="_compute_days")
    stage_locked = fields.Boolean(
        tracking=True,
        help="Set by a manual override: the lifecycle engine leaves the stage "
        "alone until the lock ends.",
    )
    lock_until = fields.Date(
        string="Locked Until",
        help="The engine takes the stage back after this day. Empty: until "
        "unlocked by hand.",
    )
    lock_reason = fields.Char(string="Override Reason")
    history_ids = fields.One2many(
        comodel_name="crm.lifecycle.history",
        inverse_name="profile_id",
        string="Stage History",
    )
    history_count = fields.Integer(compute="_compute_history_count")

    # Purchase figures (posted customer invoices and refunds, company currency)
    first_purchase_date = fields.Date(help="Date of the first posted invoice.")
    last_purchase_date = fields.Date(
        index=True, help="Date of the latest posted invoice."
    )
    purchase_count = fields.Integer(
        string="Purchase Occasions",
        aggregator="sum",
        help="Distinct days with a posted customer invoice.",
    )
    purchase_count_12m = fields.Integer(
        string="Purchases (12 months)",
        help="Distinct invoice days in the last 12 months.",
    )
    invoice_count = fields.Integer(
        string="Invoices", help="Posted customer invoices, refunds excluded."
    )
    revenue_total = fields.Monetary(
        string="Lifetime Revenue",
        help="Untaxed invoiced amount minus refunds, in company currency.",
    )
    revenue_12m = fields.Monetary(
        string="Revenue (12 months)",
        help="Untaxed invoiced amount minus refunds of the last 12 months.",
    )
    avg_order_value = fields.Monetary(
        string="Average Order Value",
        aggregator="avg",
        help="Lifetime revenue divided by the number of invoices.",
    )
    avg_interval_days = fields.Float(
        string="Average Days Between Purchases",
        digits=(16, 1),
        aggregator="avg",
        help="Days from the first to the last purchase divided by the "
        "intervals between purchase occasions.",
    )
    lifespan_days = fields.Integer(
        string="Lifecycle Length (days)",
        aggregator="avg",
        help="Days from the first to the latest purchase.",
    )
    has_open_opportunity = fields.Boolean(
        string="Open Opportunity",
        help="The customer has an open opportunity in the CRM pipeline.",
    )
    tenure_days = fields.Integer(
        string="Tenure (days)",
        compute="_compute_days",
        help="Days since the first purchase.",
    )
    days_since_purchase = fields.Integer(
        string="Days Since Last Purchase", compute="_compute_days"
    )

    # RFM
    recency_score = fields.Integer(
        help="1-5 by quintile of the last purchase date among the company's "
        "customers: 5 bought most recently.",
    )
    frequency_score = fields.Integer(
        help="1-5 by quintile of purchase occasions: 5 buy most often.",
    )
    monetary_score = fields.Integer(
        help="1-5 by quintile of lifetime revenue: 5 spend most.",
    )
    rfm_code = fields.Char(string="RFM", help="Recency, frequency, monetary scores.")
    segment_id = fields.Many2one(
        comodel_name="crm.lifecycle.segment",
        string="RFM Segment",
        index=True,
        ondelete="set null",
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has one lifecycle profile per company.",
        ),
    ]

    def init(self):
        # Covering index of the scoring job's aggregate: posted customer
        # invoices and refunds of a batch of partners in one company.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS account_move_crm_lifecycle_index
                ON account_move (commercial_partner_id, company_id)
                INCLUDE (invoice_date, move_type, amount_untaxed_signed)
             WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')
            """
        )

    @api.depends("partner_id")
    def _compute_display_name(self):
        for profile in self:
            profile.display_name = profile.partner_id.display_name

    @api.depends("stage_date", "first_purchase_date", "last_purchase_date")
    @api.depends_context("tz")
    def _compute_days(self):
        today = fields.Date.context_today(self)
        for profile in self:
            profile.days_in_stage = (
                (today - profile.stage_date).days if profile.stage_date else 0
            )
            profile.tenure_days = (
                (today - profile.first_purchase_date).days
                if profile.first_purchase_date
                else 0
            )
            profile.days_since_purchase = (
                (today - profile.last_purchase_date).days
                if profile.last_purchase_date
                else 0
            )

    def _compute_history_count(self):
        counts = dict(
            self.env["crm.lifecycle.history"]._read_group(
                [("profile_id", "in", self.ids)], ["profile_id"], ["__count"]
            )
        )
        for profile in self:
            profile.history_count = counts.get(profile, 0)

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        return stages.search([])

    def write(self, vals):
        if "stage_id" in vals and not self.env.context.get("lifecycle_stage_write"):
            raise UserError(
                self.env._(
                    "The lifecycle engine sets stages. To set one by hand, use "
                    "Override Stage and give a reason."
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_recompute(self):
        """Recompute figures, stage and RFM of these customers now."""
        self.check_access("write")
        self.sudo()._lifecycle_recompute()
        return True

    def action_override_stage(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override Lifecycle Stage"),
            "res_model": "crm.lifecycle.stage.override",
            "view_mode": "form",
            "target": "new",
            "context": {"default_profile_ids": self.ids},
        }

    def action_unlock_stage(self):
        self.check_access("write")
        locked = self.filtered("stage_locked")
        locked.write({"stage_locked": False, "lock_until": False, "lock_reason": False})
        for profile in locked:
            profile.partner_id.sudo().message_post(
                body=self.env._(
                    "Lifecycle stage unlocked in %(company)s: the engine manages "
                    "it again.",
                    company=profile.company_id.name,
                ),
                subtype_xmlid="mail.mt_note",
            )
        return True

    def action_view_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_lifecycle.crm_lifecycle_history_action"
        )
        action["domain"] = [("profile_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("commercial_partner_id", "=", self.partner_id.id),
            ("company_id", "=", self.company_id.id),
        ]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------
    # SCHEDULED JOB
    # ------------------------------------------------------------

    @api.model
    def _cron_recompute_lifecycle(self, batch_size=BATCH_SIZE):
        """Daily job: figures, RFM and stages of every customer, per company.

        Per company, one set-based aggregate computes the figures and RFM
        scores of all its customers into a temporary table; customers are
        then scored in batches of ``batch_size``. Each batch is committed with
        the run's checkpoint and reported to the cron's progress, so a job
        that crashed or was killed resumes after its last committed batch.
        Rows whose values did not change are not written.
        """
        today = fields.Date.context_today(self)
        runs = self.env["crm.lifecycle.run"].sudo()
        for company in self.env["res.company"].sudo().search([]):
            runs |= self._lifecycle_start_run(company, today)
        self._lifecycle_commit()
        done = 0
        for run in runs:
            company = run.company_id
            Profile = self.sudo().with_company(company)
            partner_ids = Profile._lifecycle_prepare_figures(company, run.date)
            todo = [pid for pid in partner_ids if pid > run.last_partner_id]
            run.partner_total = run.partner_done + len(todo)
            for batch in split_every(batch_size, todo, list):
                stats = Profile._lifecycle_recompute_partners(company, run.date, batch)
                run.write(
                    {
                        "last_partner_id": batch[-1],
                        "partner_done": run.partner_done + len(batch),
                        "changed_count": run.changed_count + stats["changed"],
                        "stage_change_count": run.stage_change_count
                        + stats["stage_changes"],
                    }
                )
                self._lifecycle_commit()
                done += len(batch)
                remaining = sum(
                    other.partner_total - other.partner_done
                    for other in runs
                    if other.state == "running"
                )
                self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            run.write({"state": "done", "end_datetime": fields.Datetime.now()})
            self._lifecycle_commit()
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        return runs

    @api.model
    def _lifecycle_start_run(self, company, today):
        """Resume today's unfinished run of ``company`` or start a new one."""
        Run = self.env["crm.lifecycle.run"].sudo()
        running = Run.search(
            [("company_id", "=", company.id), ("state", "=", "running")]
        )
        stale = running.filtered(lambda run: run.date != today)
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
            return run
        total = self.sudo().search_count([("company_id", "=", company.id)])
        return Run.create(
            {"company_id": company.id, "date": today, "partner_total": total}
        )

    @api.model
    def _lifecycle_commit(self):
        """Commit a batch; tests keep their single transaction."""
        if not getattr(threading.current_thread(), "testing", False):
            # Batch jobs commit their progress so that a crash or a restart
            # resumes after the last batch instead of starting over.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _lifecycle_flush(self):
        """Flush what the job's SQL reads. Override when a hook reads more."""
        self.env["res.partner"].flush_model(["commercial_partner_id"])
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
        self.flush_model()

    @api.model
    def _lifecycle_prepare_figures(self, company, today, partner_ids=None):
        """Compute the new values of ``company``'s customers as of ``today``
        into the temporary table ``crm_lifecycle_figures`` (one row per
        partner, columns named after this model's fields; the connection
        keeps it across the batches' commits) and return the ids of the
        partners to score, in order.

        Without ``partner_ids``: every customer and every partner that
        already has a profile in ``company``, with their RFM scores and
        segment (a company-wide ranking). With ``partner_ids``: those
        partners only, without RFM (see :meth:`_lifecycle_compute_rfm`).

        Override to add a component set-based: call ``super()``, then add a
        column named after a stored field of this model and fill it with one
        ``UPDATE crm_lifecycle_figures ... FROM (...)``; the job writes it
        with the rest.
        """
        self._lifecycle_flush()
        sql, params = self._lifecycle_figures_query(company, today, partner_ids)
        if not partner_ids:
            rfm = self._lifecycle_rfm_query(
                "SELECT partner_id AS key, last_purchase_date, purchase_count, "
                "revenue_total FROM figures"
            )
            sql = f"""
                WITH figures AS ({sql}), rfm AS ({rfm})
                SELECT figures.*, rfm.recency_score, rfm.frequency_score,
                       rfm.monetary_score, rfm.rfm_code, rfm.segment_id
                  FROM figures LEFT JOIN rfm ON rfm.key = figures.partner_id
            """  # noqa: S608 - built from constant SQL
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS crm_lifecycle_figures")
        cr.execute(f"CREATE TEMP TABLE crm_lifecycle_figures AS {sql}", params)  # noqa: S608
        cr.execute("ALTER TABLE crm_lifecycle_figures ADD PRIMARY KEY (partner_id)")
        cr.execute("ANALYZE crm_lifecycle_figures")
        if partner_ids:
            return sorted(set(partner_ids))
        cr.execute(
            """
            SELECT partner_id FROM crm_lifecycle_figures
             UNION
            SELECT partner_id FROM crm_lifecycle_profile WHERE company_id = %s
             ORDER BY 1
            """,
            [company.id],
        )
        return [row[0] for row in cr.fetchall()]

    @api.model
    def _lifecycle_figures_query(self, company, today, partner_ids=None):
        """Return ``(sql, params)`` selecting the purchase figures of
        ``company``'s customers as of ``today``, one row per commercial
        partner, with columns named after this model's fields.

        Customers are the commercial partners with posted customer invoices
        or refunds dated up to ``today``, or with an open opportunity.
        Amounts are untaxed, in company currency; refunds reduce revenue and
        are not purchases. ``partner_ids`` restricts the query to them.
        Override to count more (e.g. sales orders): keep the columns.
        """
        only = "AND commercial_partner_id = ANY(%(partners)s)" if partner_ids else ""
        only_lead = (
            "AND partner.commercial_partner_id = ANY(%(partners)s)"
            if partner_ids
            else ""
        )
        sql = f"""
            WITH invoiced AS (
                SELECT commercial_partner_id AS partner_id,
                       MIN(invoice_date) FILTER (WHERE move_type = 'out_invoice')
                           AS first_purchase_date,
                       MAX(invoice_date) FILTER (WHERE move_type = 'out_invoice')
                           AS last_purchase_date,
                       COUNT(DISTINCT invoice_date)
                           FILTER (WHERE move_type = 'out_invoice')
                           AS purchase_count,
                       COUNT(DISTINCT invoice_date)
                           FILTER (WHERE move_type = 'out_invoice'
                                     AND invoice_date > %(since)s)
                           AS purchase_count_12m,
                       COUNT(*) FILTER (WHERE move_type = 'out_invoice')
                           AS invoice_count,
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
                   {only}
              GROUP BY commercial_partner_id
            ), prospects AS (
                SELECT DISTINCT partner.commercial_partner_id AS partner_id
                  FROM crm_lead lead
                  JOIN res_partner partner ON partner.id = lead.partner_id
                 WHERE lead.company_id = %(company)s
                   AND lead.type = 'opportunity'
                   AND lead.active
                   AND lead.probability < 100
                   {only_lead}
            )
            SELECT COALESCE(invoiced.partner_id, prospects.partner_id) AS partner_id,
                   invoiced.first_purchase_date,
                   invoiced.last_purchase_date,
                   COALESCE(invoiced.purchase_count, 0) AS purchase_count,
                   COALESCE(invoiced.purchase_count_12m, 0) AS purchase_count_12m,
                   COALESCE(invoiced.invoice_count, 0) AS invoice_count,
                   COALESCE(invoiced.revenue_total, 0) AS revenue_total,
                   COALESCE(invoiced.revenue_12m, 0) AS revenue_12m,
                   CASE WHEN invoiced.invoice_count > 0
                        THEN ROUND(invoiced.revenue_total / invoiced.invoice_count,
                                   %(digits)s)
                        ELSE 0 END AS avg_order_value,
                   CASE WHEN invoiced.purchase_count > 1
                        THEN ROUND((invoiced.last_purchase_date
                                    - invoiced.first_purchase_date)::numeric
                                   / (invoiced.purchase_count - 1), 1)
                        ELSE 0 END AS avg_interval_days,
                   COALESCE(invoiced.last_purchase_date
                            - invoiced.first_purchase_date, 0) AS lifespan_days,
                   prospects.partner_id IS NOT NULL AS has_open_opportunity
              FROM invoiced
              FULL JOIN prospects ON prospects.partner_id = invoiced.partner_id
        """
        params = {
            "company": company.id,
            "today": today,
            "since": today - relativedelta(years=1),
            "digits": company.currency_id.decimal_places,
            "partners": list(partner_ids or []),
        }
        return sql, params

    # ------------------------------------------------------------
    # SCORING
    # ------------------------------------------------------------

    def _lifecycle_recompute(self, today=None):
        """Recompute figures, stages and RFM of these profiles now."""
        today = today or fields.Date.context_today(self)
        stats = {"changed": 0, "stage_changes": 0}
        for company, profiles in self.grouped("company_id").items():
            Profile = self.sudo().with_company(company)
            partner_ids = Profile._lifecycle_prepare_figures(
                company, today, profiles.partner_id.ids
            )
            result = Profile._lifecycle_recompute_partners(company, today, partner_ids)
            Profile._lifecycle_compute_rfm(company)
            for key in stats:
                stats[key] += result[key]
        return stats

    @api.model
    def _lifecycle_score_company(self, company, today):
        """Score every customer of ``company`` as of ``today`` in one
        transaction (demo data, back-fills, scripts); the scheduled job does
        the same in committed batches."""
        Profile = self.sudo().with_company(company)
        partner_ids = Profile._lifecycle_prepare_figures(company, today)
        return Profile._lifecycle_recompute_partners(company, today, partner_ids)

    @api.model
    def _lifecycle_recompute_partners(self, company, today, partner_ids):
        """Score the customers ``partner_ids`` of ``company`` as of ``today``
        from the values prepared by :meth:`_lifecycle_prepare_figures`.

        Asks the stage engine for the stages of the batch, then, set-based:
        inserts the missing profiles and updates only the profiles whose
        values changed or that get their first stage. Moves between stages
        go through :meth:`write`. Returns the number of profiles written and
        of stage changes.
        """
        # The engine maintains derived data: callers check access rights.
        profiles = self.sudo().with_context(
            lang=company.partner_id.lang or self.env.lang
        )
        partner_ids = list(partner_ids)
        new_values = profiles._lifecycle_batch_values(partner_ids)
        current = profiles._lifecycle_read_current(company, partner_ids)
        initial, moves, unlock = profiles._lifecycle_decide_stages(
            company, today, new_values, current
        )
        written = profiles._lifecycle_write_batch(company, today, partner_ids, initial)
        for partner_id, profile_id in written.items():
            current.setdefault(
                partner_id, {"id": profile_id, **dict.fromkeys(STAGE_COLUMNS)}
            )
        stage_changes = profiles._lifecycle_move_stages(
            company, today, current, initial, moves, unlock
        )
        return {"changed": len(written), "stage_changes": stage_changes}

    @api.model
    def _lifecycle_batch_values(self, partner_ids):
        """``{partner_id: {column: value}}`` of the prepared values of
        ``partner_ids`` (empty dicts for partners without a row)."""
        # The range lets PostgreSQL read the batch by index.
        self.env.cr.execute(
            """SELECT * FROM crm_lifecycle_figures
                WHERE partner_id = ANY(%s) AND partner_id BETWEEN %s AND %s""",
            [partner_ids, min(partner_ids), max(partner_ids)],
        )
        names = [column.name for column in self.env.cr.description]
        values = {
            row[0]: dict(zip(names, row, strict=True)) for row in self.env.cr.fetchall()
        }
        return {partner_id: values.get(partner_id, {}) for partner_id in partner_ids}

    @api.model
    def _lifecycle_read_current(self, company, partner_ids):
        """``{partner_id: state}``: the profile ``id`` and the
        :data:`STAGE_COLUMNS` of the profiles of ``partner_ids`` in
        ``company``. Partners without a profile are left out."""
        head = ["id", *STAGE_COLUMNS]
        self.env.cr.execute(
            f"""SELECT partner_id, {", ".join(head)} FROM crm_lifecycle_profile
                 WHERE company_id = %s AND partner_id = ANY(%s)
                   AND partner_id BETWEEN %s AND %s""",  # noqa: S608
            [company.id, partner_ids, min(partner_ids), max(partner_ids)],
        )
        return {
            row[0]: dict(zip(head, row[1:], strict=True))
            for row in self.env.cr.fetchall()
        }

    @api.model
    def _lifecycle_value_columns(self):
        """Columns of the prepared values that are stored fields here, with
        the SQL expression of each one's value for a partner without a row
        (zero for numbers, false for booleans, NULL otherwise)."""
        self.env.cr.execute(
            """SELECT attname FROM pg_attribute
                WHERE attrelid = 'crm_lifecycle_figures'::regclass
                  AND attnum > 0 AND NOT attisdropped"""
        )
        columns = {}
        for [name] in self.env.cr.fetchall():
            field = self._fields.get(name)
            if not field or not field.store or name == "partner_id":
                continue
            if field.type in ("integer", "float", "monetary"):
                columns[name] = f'COALESCE(f."{name}", 0)'
            elif field.type == "boolean":
                columns[name] = f'COALESCE(f."{name}", FALSE)'
            else:
                columns[name] = f'f."{name}"'
        return columns

    @api.model
    def _lifecycle_write_batch(self, company, today, partner_ids, initial):
        """Write the prepared values of ``partner_ids`` set-based: update the
        profiles whose values differ or that get their first stage
        (``initial``), insert the missing ones, leave the others untouched.

        Returns ``{partner_id: profile_id}`` of the profiles written.
        """
        columns = self._lifecycle_value_columns()
        names = ", ".join(f'"{name}"' for name in columns)
        values = ", ".join(columns.values())
        # First stages ride along the batch, aligned with it (NULL: keep).
        attrs = {
            stage: (stage.id, stage.kind, stage.sequence)
            for stage in {stage for stage, _decision in initial.values()}
        }
        none = (None, None, None)
        decided = [
            attrs[initial[pid][0]] if pid in initial else none for pid in partner_ids
        ]
        stages = {
            "stages": [stage_id for stage_id, _kind, _seq in decided],
            "kinds": [kind for _stage_id, kind, _seq in decided],
            "sequences": [seq for _stage_id, _kind, seq in decided],
        }
        source = """
            FROM unnest(%(batch)s::int4[], %(stages)s::int4[],
                        %(kinds)s::varchar[], %(sequences)s::int4[])
                 AS b(partner_id, stage_id, kind, sequence)
       LEFT JOIN (SELECT * FROM crm_lifecycle_figures
                   WHERE partner_id BETWEEN %(first)s AND %(last)s) f
              ON f.partner_id = b.partner_id
        """
        params = {
            "batch": partner_ids,
            "first": min(partner_ids),
            "last": max(partner_ids),
            "company": company.id,
            "uid": self.env.uid,
            "today": today,
            **stages,
        }
        cr = self.env.cr
        assignments = ", ".join(f'"{name}" = v."{name}"' for name in columns)
        changed = " OR ".join(
            f'p."{name}" IS DISTINCT FROM v."{name}"' for name in columns
        )
        cr.execute(
            f"""
            UPDATE crm_lifecycle_profile AS p
               SET {assignments},
                   stage_id = COALESCE(v.stage_id, p.stage_id),
                   stage_kind = COALESCE(v.kind, p.stage_kind),
                   stage_sequence = COALESCE(v.sequence, p.stage_sequence),
                   stage_date = CASE WHEN v.stage_id IS NULL THEN p.stage_date
                                     ELSE %(today)s END,
                   write_uid = %(uid)s,
                   write_date = NOW() AT TIME ZONE 'UTC'
              FROM (SELECT b.partner_id, {values}, b.stage_id, b.kind, b.sequence
                      {source}) AS v({", ".join(["partner_id", *columns])},
                                    stage_id, kind, sequence)
             WHERE p.partner_id = v.partner_id
               AND p.company_id = %(company)s
               AND p.partner_id BETWEEN %(first)s AND %(last)s
               AND (v.stage_id IS NOT NULL OR {changed})
         RETURNING p.partner_id, p.id
            """,  # noqa: S608 - column names come from the model
            params,
        )
        written = dict(cr.fetchall())
        cr.execute(
            f"""
            INSERT INTO crm_lifecycle_profile
                   (partner_id, company_id, {names}, stage_id, stage_kind,
                    stage_sequence, stage_date, create_uid, create_date,
                    write_uid, write_date)
            SELECT b.partner_id, %(company)s, {values}, b.stage_id, b.kind,
                   b.sequence, %(today)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
                   %(uid)s, NOW() AT TIME ZONE 'UTC'
              {source}
             WHERE NOT EXISTS (
                   SELECT 1 FROM crm_lifecycle_profile p
                    WHERE p.partner_id = b.partner_id
                      AND p.company_id = %(company)s
                      AND p.partner_id BETWEEN %(first)s AND %(last)s)
            ON CONFLICT (partner_id, company_id) DO NOTHING
         RETURNING partner_id, id
            """,  # noqa: S608 - column names come from the model
            params,
        )
        written.update(cr.fetchall())
        self.invalidate_model()
        return written

    # ------------------------------------------------------------
    # STAGES
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_thresholds(self, company):
        return stage_engine.Thresholds(
            new_days=company.lifecycle_new_days,
            loyal_min_purchases=company.lifecycle_loyal_min_purchases,
            loyal_min_tenure_days=company.lifecycle_loyal_min_tenure_days,
            at_risk_factor=company.lifecycle_at_risk_factor,
            at_risk_min_purchases=company.lifecycle_at_risk_min_purchases,
            at_risk_default_days=company.lifecycle_at_risk_default_days,
            churn_days=company.lifecycle_churn_days,
        )

    @api.model
    def _lifecycle_stages(self):
        """``{kind: stage}``; raise a clear error when a kind has no stage."""
        stages = self.env["crm.lifecycle.stage"].sudo()._get_stage_by_kind()
        missing = [label for kind, label in STAGE_KINDS if kind not in stages]
        if missing:
            raise UserError(
                self.env._(
                    "The lifecycle engine needs an active stage of each kind; "
                    "none for: %(kinds)s. Add them in Customer Lifecycle > "
                    "Configuration > Stages.",
                    kinds=", ".join(missing),
                )
            )
        return stages

    def _lifecycle_reason(self, decision):
        """The engine's decision as a sentence in the context language."""
        _ = self.env._
        params = decision.params
        reasons = {
            "no_purchase": lambda: _("No purchase yet"),
            "churned": lambda: _(
                "No purchase for %(days)s days (churned after %(limit)s days)",
                **params,
            ),
            "won_back": lambda: _(
                "Bought again on %(date)s after having churned", **params
            ),
            "at_risk": lambda: _(
                "No purchase for %(days)s days (at risk after %(limit)s days)",
                **params,
            ),
            "won_back_recent": lambda: _(
                "Won back less than %(days)s days ago", **params
            ),
            "new": lambda: _("First purchase %(days)s days ago", **params),
            "loyal": lambda: _(
                "%(count)s purchases in 12 months, customer for %(tenure)s days",
                **params,
            ),
            "active": lambda: _("Last purchase %(days)s days ago", **params),
        }
        return reasons[decision.reason]()

    def _lifecycle_decide_stages(self, company, today, new_values, current):
        """Ask the stage engine where each profile belongs.

        Returns ``(initial, moves, unlock)``: ``{partner_id: (stage,
        decision)}`` for customers without a stage yet and for customers that
        change stage, and the partners whose override lock ended.
        """
        stages = self._lifecycle_stages()
        stage_ids = {kind: stage.id for kind, stage in stages.items()}
        thresholds = self._lifecycle_thresholds(company)
        no_state = dict.fromkeys(STAGE_COLUMNS)
        initial, moves, unlock = {}, {}, []
        for partner_id, vals in new_values.items():
            state = current.get(partner_id, no_state)
            if state["stage_locked"]:
                if not state["lock_until"] or state["lock_until"] >= today:
                    continue
                unlock.append(partner_id)
            decision = self._lifecycle_decide_stage(vals, state, today, thresholds)
            if state["stage_id"] == stage_ids[decision.kind]:
                continue
            target = moves if state["stage_id"] else initial
            target[partner_id] = (stages[decision.kind], decision)
        return initial, moves, unlock

    @api.model
    def _lifecycle_decide_stage(self, vals, state, today, thresholds):
        """Return the :class:`~.lib.stage_engine.Decision` for one profile.

        :param vals: the customer's prepared values, by column (see
            :meth:`_lifecycle_prepare_figures`; empty when it has none)
        :param state: its stored stage state (see
            :meth:`_lifecycle_read_current`; all empty for a new customer)

        Override to add a rule: return your own decision (a kind and a reason
        code that :meth:`_lifecycle_reason` knows) or ``super()``'s.
        """
        figures = stage_engine.Figures(
            purchase_count=vals.get("purchase_count") or 0,
            purchase_count_12m=vals.get("purchase_count_12m") or 0,
            first_purchase_date=vals.get("first_purchase_date"),
            last_purchase_date=vals.get("last_purchase_date"),
            avg_interval_days=float(vals.get("avg_interval_days") or 0),
        )
        return stage_engine.decide(
            figures,
            today,
            thresholds,
            current_kind=state["stage_kind"],
            stage_since=state["stage_date"],
        )

    def _lifecycle_move_stages(self, company, today, current, initial, moves, unlock):
        """Record the stage decisions of :meth:`_lifecycle_decide_stages`.

        First classifications were written with the figures; moves from one
        stage to another go through :meth:`write`, so that tracking and
        automated actions on ``stage_id`` see them, and are noted in the
        customer's chatter. Both are recorded in the stage history. Returns
        the number of stage changes.
        """
        if unlock:
            self.browse([current[pid]["id"] for pid in unlock]).write(
                {"stage_locked": False, "lock_until": False, "lock_reason": False}
            )
        by_stage = {}
        for partner_id, (stage, _decision) in moves.items():
            by_stage.setdefault(stage, []).append(current[partner_id]["id"])
        for stage, profile_ids in by_stage.items():
            self.browse(profile_ids).with_context(lifecycle_stage_write=True).write(
                {"stage_id": stage.id, "stage_date": today}
            )
        history = []
        for partner_id, (stage, decision) in {**initial, **moves}.items():
            state = current.get(partner_id)
            if not state:
                continue  # created meanwhile by another transaction
            history.append(
                {
                    "profile_id": state["id"],
                    "partner_id": partner_id,
                    "company_id": company.id,
                    "from_stage_id": state["stage_id"],
                    "from_kind": state["stage_kind"],
                    "to_stage_id": stage.id,
                    "to_kind": stage.kind,
                    "reason": self._lifecycle_reason(decision),
                    "origin": "engine",
                    "duration_days": (today - state["stage_date"]).days
                    if state["stage_date"]
                    else 0,
                }
            )
        self._lifecycle_create_history(history, today)
        self.browse(
            [current[pid]["id"] for pid in moves]
        )._lifecycle_post_stage_messages(
            {
                current[pid]["id"]: (current[pid]["stage_id"], stage, decision)
                for pid, (stage, decision) in moves.items()
            }
        )
        return len(history)

    def _lifecycle_post_stage_messages(self, moves):
        """Log each stage move in the customer's chatter.

        :param moves: ``{profile_id: (from_stage_id, to_stage, decision)}``
        """
        from_stages = (
            self.env["crm.lifecycle.stage"]
            .sudo()
            .browse([from_id for from_id, _stage, _decision in moves.values()])
        )
        names = {stage.id: stage.name for stage in from_stages}
        for profile in self:
            from_id, stage, decision = moves[profile.id]
            profile.partner_id.sudo().message_post(
                body=self.env._(
                    "Lifecycle stage in %(company)s: %(old)s → %(new)s. %(reason)s",
                    company=profile.company_id.name,
                    old=names.get(from_id, "-"),
                    new=stage.name,
                    reason=self._lifecycle_reason(decision),
                ),
                subtype_xmlid="mail.mt_note",
            )

    def _lifecycle_create_history(self, rows, today):
        """Insert stage history rows of these profiles in bulk.

        :param rows: dicts with ``profile_id``, ``partner_id``,
            ``company_id``, ``from_stage_id``, ``from_kind``, ``to_stage_id``,
            ``to_kind``, ``reason``, ``origin`` and ``duration_days``
        """
        if not rows:
            return
        now = fields.Datetime.now()
        if today < now.date():
            # An as-of run (demo data, back-fills) dates its history that day.
            now = datetime.combine(today, time(3))
        keys = [
            "profile_id",
            "partner_id",
            "company_id",
            "from_stage_id",
            "to_stage_id",
            "from_kind",
            "to_kind",
            "origin",
            "reason",
            "duration_days",
        ]
        self.env.cr.execute(
            """
            INSERT INTO crm_lifecycle_history
                   (profile_id, partner_id, company_id, from_stage_id,
                    to_stage_id, from_kind, to_kind, origin, reason,
                    duration_days, date, user_id, create_uid, create_date,
                    write_uid, write_date)
            SELECT v.*, %(now)s, %(uid)s, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(profile_id)s::int4[], %(partner_id)s::int4[],
                          %(company_id)s::int4[], %(from_stage_id)s::int4[],
                          %(to_stage_id)s::int4[], %(from_kind)s::varchar[],
                          %(to_kind)s::varchar[], %(origin)s::varchar[],
                          %(reason)s::varchar[], %(duration_days)s::int4[]) AS v
            """,
            {
                "now": now,
                "uid": self.env.uid,
                **{key: [row[key] for row in rows] for key in keys},
            },
        )
        self.env["crm.lifecycle.history"].invalidate_model()
        self.invalidate_model(["history_ids", "history_count"])

    def _lifecycle_set_stage(self, stage, reason, lock_until=False):
        """Set ``stage`` by hand with ``reason`` and lock it against the
        engine until ``lock_until`` (or until unlocked when empty)."""
        if not reason or not reason.strip():
            raise UserError(self.env._("Give a reason for the stage override."))
        today = fields.Date.context_today(self)
        if lock_until and lock_until < today:
            raise UserError(self.env._("The lock must end today or later."))
        history = [
            {
                "profile_id": profile.id,
                "partner_id": profile.partner_id.id,
                "company_id": profile.company_id.id,
                "from_stage_id": profile.stage_id.id or None,
                "from_kind": profile.stage_kind or None,
                "to_stage_id": stage.id,
                "to_kind": stage.kind,
                "reason": reason,
                "origin": "manual",
                "duration_days": (today - profile.stage_date).days
                if profile.stage_date
                else 0,
            }
            for profile in self
        ]
        self.with_context(lifecycle_stage_write=True).write(
            {
                "stage_id": stage.id,
                "stage_date": today,
                "stage_locked": True,
                "lock_until": lock_until,
                "lock_reason": reason,
            }
        )
        self.sudo()._lifecycle_create_history(history, today)
        Stage = self.env["crm.lifecycle.stage"]
        for profile, row in zip(self, history, strict=True):
            profile.partner_id.sudo().message_post(
                body=self.env._(
                    "Lifecycle stage in %(company)s set by hand: %(old)s → %(new)s. "
                    "Reason: %(reason)s",
                    company=profile.company_id.name,
                    old=Stage.browse(row["from_stage_id"]).name or "-",
                    new=stage.name,
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
            )

    # ------------------------------------------------------------
    # RFM
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_rfm_query(self, source):
        """SQL scoring recency, frequency and monetary value 1-5 by percent
        rank (``1 + floor(5 * percent_rank)``, capped at 5) and matching the
        first active segment by sequence.

        :param source: SQL selecting ``key``, ``last_purchase_date``,
            ``purchase_count`` and ``revenue_total`` of one company's
            customers; those without a purchase get no score
        :return: SQL selecting ``key``, the scores, ``rfm_code`` and
            ``segment_id``
        """
        return f"""
            WITH scored AS (
                SELECT key,
                       LEAST(5, 1 + FLOOR(5 * PERCENT_RANK()
                           OVER (ORDER BY last_purchase_date)))::int AS r,
                       LEAST(5, 1 + FLOOR(5 * PERCENT_RANK()
                           OVER (ORDER BY purchase_count)))::int AS f,
                       LEAST(5, 1 + FLOOR(5 * PERCENT_RANK()
                           OVER (ORDER BY revenue_total)))::int AS m
                  FROM ({source}) AS source
                 WHERE purchase_count > 0
            ), grid AS (
                -- the segment of each of the 125 score combinations
                SELECT r, f, m,
                       (SELECT segment.id
                          FROM crm_lifecycle_segment segment
                         WHERE segment.active
                           AND r BETWEEN segment.recency_min AND segment.recency_max
                           AND f BETWEEN segment.frequency_min
                                     AND segment.frequency_max
                           AND m BETWEEN segment.monetary_min
                                     AND segment.monetary_max
                      ORDER BY segment.sequence, segment.id
                         LIMIT 1) AS segment_id
                  FROM generate_series(1, 5) r, generate_series(1, 5) f,
                       generate_series(1, 5) m
            )
            SELECT scored.key,
                   scored.r AS recency_score,
                   scored.f AS frequency_score,
                   scored.m AS monetary_score,
                   scored.r::text || scored.f::text || scored.m::text AS rfm_code,
                   grid.segment_id
              FROM scored
              JOIN grid ON grid.r = scored.r AND grid.f = scored.f
                       AND grid.m = scored.m
        """  # noqa: S608 - source is SQL of this module

    @api.model
    def _lifecycle_compute_rfm(self, company):
        """Score RFM and match segments of ``company``'s profiles from their
        stored figures (after a partial recompute, or edited segments).

        One statement; only rows whose scores or segment change are written.
        Returns the number of profiles written.
        """
        self._lifecycle_flush()
        rfm = self._lifecycle_rfm_query(
            "SELECT id AS key, last_purchase_date, purchase_count, revenue_total "
            "FROM crm_lifecycle_profile WHERE company_id = %(company)s"
        )
        self.env.cr.execute(
            f"""
            WITH target AS (
                SELECT profile.id, rfm.recency_score, rfm.frequency_score,
                       rfm.monetary_score, rfm.rfm_code, rfm.segment_id
                  FROM crm_lifecycle_profile profile
             LEFT JOIN ({rfm}) AS rfm ON rfm.key = profile.id
                 WHERE profile.company_id = %(company)s
            )
            UPDATE crm_lifecycle_profile AS profile
               SET recency_score = target.recency_score,
                   frequency_score = target.frequency_score,
                   monetary_score = target.monetary_score,
                   rfm_code = target.rfm_code,
                   segment_id = target.segment_id,
                   write_uid = %(uid)s,
                   write_date = NOW() AT TIME ZONE 'UTC'
              FROM target
             WHERE profile.id = target.id
               AND (profile.recency_score IS DISTINCT FROM target.recency_score
                    OR profile.frequency_score IS DISTINCT FROM target.frequency_score
                    OR profile.monetary_score IS DISTINCT FROM target.monetary_score
                    OR profile.segment_id IS DISTINCT FROM target.segment_id)
            """,  # noqa: S608 - built from constant SQL
            {"company": company.id, "uid": self.env.uid},
        )
        updated = self.env.cr.rowcount
        self.invalidate_model(
            [
                "recency_score",
                "frequency_score",
                "monetary_score",
                "rfm_code",
                "segment_id",
                "write_uid",
                "write_date",
            ]
        )
        return updated

    # ------------------------------------------------------------
    # DEMO
    # ------------------------------------------------------------

    @api.model
    def _demo_generate(self):
        """Create demo customers, invoices and opportunities, then run the
        engine at past dates and today (called from demo data)."""
        company = self.env.company
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        if not journal:
            _logger.warning("No sales journal in %s: no lifecycle demo", company.name)
            return
        today = fields.Date.context_today(self)
        moves, leads = [], []
        for customer in demo_data.customers():
            partner = self.env["res.partner"].create(
                {"name": customer["name"], "is_company": True, "customer_rank": 1}
            )
            for days_ago, amount in customer["invoices"]:
                moves.append(
                    self._demo_invoice_vals(
                        "out_invoice", partner, journal, today, days_ago, amount
                    )
                )
            if customer["refund"]:
                days_ago, amount = customer["invoices"][-1]
                moves.append(
                    self._demo_invoice_vals(
                        "out_refund", partner, journal, today, days_ago, amount / 4
                    )
                )
            if customer["opportunity"]:
                leads.append(
                    {
                        "name": self.env._("Offer for %(name)s", name=partner.name),
                        "type": "opportunity",
                        "partner_id": partner.id,
                        "expected_revenue": 5000,
                    }
                )
        self.env["account.move"].create(moves).action_post()
        self.env["crm.lead"].create(leads)
        for days_ago in (540, 365, 180, 90, 30, 0):
            self._lifecycle_score_company(company, today - relativedelta(days=days_ago))

    @api.model
    def _demo_invoice_vals(self, move_type, partner, journal, today, days_ago, amount):
        date = today - relativedelta(days=days_ago)
        return {
            "move_type": move_type,
            "partner_id": partner.id,
            "journal_id": journal.id,
            "invoice_date": date,
            "date": date,
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": self.env._("Goods and services"),
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }
