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

# Stage state the job reads with the figures and keeps in the same row write.
STAGE_COLUMNS = [
    "stage_id",
    "stage_kind",
    "stage_sequence",
    "stage_date",
    "stage_locked",
    "lock_until",
]

# Column casts of the bulk UPDATE, by field type.
SQL_CASTS = {
    "integer": "int4",
    "many2one": "int4",
    "float": "float8",
    "monetary": "numeric",
    "date": "date",
    "datetime": "timestamp",
    "boolean": "bool",
    "char": "varchar",
    "selection": "varchar",
    "text": "text",
}


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
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        index=True,
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
        for company in self.company_id:
            self.sudo()._lifecycle_compute_rfm(company)
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
        """Daily job: figures, stages and RFM of every customer, per company.

        Each batch of ``batch_size`` customers is committed with the run's
        checkpoint and reported to the cron's progress, so a job that crashed
        or was killed resumes after its last committed batch. Rows whose
        values did not change are not written.
        """
        today = fields.Date.context_today(self)
        runs = self.env["crm.lifecycle.run"].sudo()
        for company in self.env["res.company"].sudo().search([]):
            runs |= self._lifecycle_start_run(company, today)
        self._lifecycle_commit()
        remaining = sum(runs.mapped("partner_total")) - sum(runs.mapped("partner_done"))
        done = 0
        for run in runs:
            company = run.company_id
            profiles = self.sudo().with_company(company)
            self.env.cr.execute(
                """SELECT id FROM crm_lifecycle_profile
                    WHERE company_id = %s AND id > %s ORDER BY id""",
                [company.id, run.last_profile_id],
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            for batch_ids in split_every(batch_size, ids, list):
                stats = profiles.browse(batch_ids)._lifecycle_recompute_company(
                    company, run.date
                )
                run.write(
                    {
                        "last_profile_id": batch_ids[-1],
                        "partner_done": run.partner_done + len(batch_ids),
                        "changed_count": run.changed_count + stats["changed"],
                        "stage_change_count": run.stage_change_count
                        + stats["stage_changes"],
                    }
                )
                self._lifecycle_commit()
                done += len(batch_ids)
                remaining = max(remaining - len(batch_ids), 0)
                self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            profiles._lifecycle_compute_rfm(company)
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
                "Lifecycle run %s of %s resumes after profile %s",
                run.id,
                company.name,
                run.last_profile_id,
            )
            run.resume_count += 1
            return run
        self._lifecycle_sync_profiles(company)
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
    def _lifecycle_customer_query(self, company):
        """Return ``(sql, params)`` selecting the ids of the commercial
        partners that ``company`` tracks: those with posted customer invoices
        or refunds, or with an open opportunity.

        Override to track more partners (e.g. every partner with a sales
        order); the query must select one column of ``res_partner`` ids.
        """
        sql = """
            SELECT commercial_partner_id
              FROM account_move
             WHERE company_id = %(company)s
               AND state = 'posted'
               AND move_type IN ('out_invoice', 'out_refund')
               AND commercial_partner_id IS NOT NULL
             UNION
            SELECT partner.commercial_partner_id
              FROM crm_lead lead
              JOIN res_partner partner ON partner.id = lead.partner_id
             WHERE lead.company_id = %(company)s
               AND lead.type = 'opportunity'
               AND lead.active
               AND lead.probability < 100
        """
        return sql, {"company": company.id}

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
        self.flush_model()

    @api.model
    def _lifecycle_sync_profiles(self, company):
        """Create the missing profiles of ``company``'s customers in bulk."""
        self._lifecycle_flush()
        sql, params = self._lifecycle_customer_query(company)
        self.env.cr.execute(
            f"""
            INSERT INTO crm_lifecycle_profile
                   (partner_id, company_id, create_uid, create_date,
                    write_uid, write_date)
            SELECT customer.id, %(company)s, %(uid)s,
                   NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM ({sql}) AS customer(id)
             WHERE NOT EXISTS (
                   SELECT 1 FROM crm_lifecycle_profile profile
                    WHERE profile.partner_id = customer.id
                      AND profile.company_id = %(company)s)
            ON CONFLICT (partner_id, company_id) DO NOTHING
            """,  # noqa: S608 - the hook returns SQL with placeholders only
            {**params, "company": company.id, "uid": self.env.uid},
        )
        created = self.env.cr.rowcount
        self.invalidate_model()
        return created

    # ------------------------------------------------------------
    # SCORING
    # ------------------------------------------------------------

    def _lifecycle_recompute(self, today=None):
        """Recompute figures and stages of these profiles (any company)."""
        today = today or fields.Date.context_today(self)
        stats = {"changed": 0, "stage_changes": 0}
        for company, profiles in self.grouped("company_id").items():
            result = profiles._lifecycle_recompute_company(company, today)
            for key in stats:
                stats[key] += result[key]
        return stats

    def _lifecycle_recompute_company(self, company, today):
        """Recompute the profiles of ``company`` in ``self`` as of ``today``.

        Reads the stored values, asks :meth:`_lifecycle_batch_values` for the
        new ones and the stage engine for the stages, then writes in one
        statement only the rows whose figures changed or that get their
        first stage. Moves between stages go through :meth:`write`.
        """
        # The engine maintains derived data: callers check access rights.
        profiles = self.sudo().with_context(
            lang=company.partner_id.lang or self.env.lang
        )
        new_values = profiles._lifecycle_batch_values(company, today)
        fnames = sorted({fname for vals in new_values.values() for fname in vals})
        current = profiles._lifecycle_read_current(fnames)
        comparable = profiles._lifecycle_comparable(fnames)
        initial, moves, unlock = profiles._lifecycle_decide_stages(
            company, today, new_values, current
        )
        rows = {}
        for profile_id, vals in new_values.items():
            state = current[profile_id]
            if profile_id in initial:
                stage = initial[profile_id][0]
                stage_vals = {
                    "stage_id": stage.id,
                    "stage_kind": stage.kind,
                    "stage_sequence": stage.sequence,
                    "stage_date": today,
                }
            elif state["values"] != comparable(vals[fname] for fname in fnames):
                stage_vals = {fname: state[fname] for fname in STAGE_COLUMNS}
            else:
                continue
            rows[profile_id] = {**vals, **stage_vals}
        profiles._lifecycle_bulk_update(rows)
        stage_changes = profiles._lifecycle_move_stages(
            company, today, current, initial, moves, unlock
        )
        return {"changed": len(rows), "stage_changes": stage_changes}

    def _lifecycle_batch_values(self, company, today):
        """Return ``{profile_id: {field: value}}``: the new values of the
        stored fields the job maintains for these profiles of ``company``.

        Override to add a component: call ``super()``, then add keys to each
        dict (build new dicts rather than changing shared ones). Keys must be
        stored fields of this model, the same in every dict; the job compares
        the values with the stored ones (:meth:`_lifecycle_comparable`) and
        writes only rows that changed.
        """
        partners = self._lifecycle_partner_map()
        figures = self._lifecycle_purchase_figures(company, today, partners.values())
        return {
            profile_id: figures.get(partner_id) or self._lifecycle_empty_figures()
            for profile_id, partner_id in partners.items()
        }

    def _lifecycle_partner_map(self):
        """``{profile_id: partner_id}`` of these profiles, without the ORM's
        prefetching of every column."""
        self.env.cr.execute(
            "SELECT id, partner_id FROM crm_lifecycle_profile WHERE id = ANY(%s)",
            [self.ids],
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _lifecycle_empty_figures(self):
        return {
            "first_purchase_date": None,
            "last_purchase_date": None,
            "purchase_count": 0,
            "purchase_count_12m": 0,
            "invoice_count": 0,
            "revenue_total": 0.0,
            "revenue_12m": 0.0,
            "avg_order_value": 0.0,
            "avg_interval_days": 0.0,
            "lifespan_days": 0,
            "has_open_opportunity": False,
        }

    @api.model
    def _lifecycle_purchase_figures(self, company, today, partner_ids):
        """Purchase figures of ``partner_ids`` in ``company``, set-based.

        Posted customer invoices and refunds dated up to ``today`` count, in
        company currency; refunds reduce revenue and are not purchases.
        """
        self._lifecycle_flush()
        partner_ids = list(partner_ids)
        since = today - relativedelta(years=1)
        self.env.cr.execute(
            """
            SELECT commercial_partner_id,
                   MIN(invoice_date) FILTER (WHERE move_type = 'out_invoice'),
                   MAX(invoice_date) FILTER (WHERE move_type = 'out_invoice'),
                   COUNT(DISTINCT invoice_date)
                       FILTER (WHERE move_type = 'out_invoice'),
                   COUNT(DISTINCT invoice_date)
                       FILTER (WHERE move_type = 'out_invoice'
                                 AND invoice_date > %(since)s),
                   COUNT(*) FILTER (WHERE move_type = 'out_invoice'),
                   COALESCE(SUM(amount_untaxed_signed), 0),
                   COALESCE(SUM(amount_untaxed_signed)
                                FILTER (WHERE invoice_date > %(since)s), 0)
              FROM account_move
             WHERE company_id = %(company)s
               AND state = 'posted'
               AND move_type IN ('out_invoice', 'out_refund')
               AND commercial_partner_id = ANY(%(partners)s)
               AND invoice_date <= %(today)s
          GROUP BY commercial_partner_id
            """,
            {
                "company": company.id,
                "partners": partner_ids,
                "since": since,
                "today": today,
            },
        )
        rows = self.env.cr.fetchall()
        digits = company.currency_id.decimal_places
        figures = {}
        for (
            partner_id,
            first,
            last,
            occasions,
            occasions_12m,
            invoices,
            revenue,
            revenue_12m,
        ) in rows:
            lifespan = (last - first).days if first and last else 0
            revenue = float(revenue)
            figures[partner_id] = {
                "first_purchase_date": first,
                "last_purchase_date": last,
                "purchase_count": occasions,
                "purchase_count_12m": occasions_12m,
                "invoice_count": invoices,
                "revenue_total": round(revenue, digits),
                "revenue_12m": round(float(revenue_12m), digits),
                "avg_order_value": round(revenue / invoices, digits)
                if invoices
                else 0.0,
                "avg_interval_days": round(lifespan / (occasions - 1), 1)
                if occasions > 1
                else 0.0,
                "lifespan_days": lifespan,
                "has_open_opportunity": False,
            }
        self.env.cr.execute(
            """
            SELECT DISTINCT partner.commercial_partner_id
              FROM crm_lead lead
              JOIN res_partner partner ON partner.id = lead.partner_id
             WHERE lead.company_id = %(company)s
               AND lead.type = 'opportunity'
               AND lead.active
               AND lead.probability < 100
               AND partner.commercial_partner_id = ANY(%(partners)s)
            """,
            {"company": company.id, "partners": partner_ids},
        )
        for [partner_id] in self.env.cr.fetchall():
            figures.setdefault(partner_id, dict(self._lifecycle_empty_figures()))
            figures[partner_id]["has_open_opportunity"] = True
        return figures

    def _lifecycle_comparable(self, fnames):
        """Return a function that turns values of ``fnames`` into a tuple
        that compares equal for a value read from the database and the same
        value computed in Python."""
        kinds = [self._fields[fname].type for fname in fnames]

        def comparable(values):
            return tuple(
                round(float(value or 0.0), 6)
                if kind in ("float", "monetary")
                else (value or 0)
                if kind == "integer"
                else bool(value)
                if kind == "boolean"
                else (value or None)
                for kind, value in zip(kinds, values, strict=True)
            )

        return comparable

    def _lifecycle_read_current(self, fnames):
        """Stored values of ``fnames`` and the stage state, straight from SQL.

        Returns ``{profile_id: state}`` where ``state`` holds the partner, the
        :data:`STAGE_COLUMNS` and ``values``, the comparable tuple of
        ``fnames``.
        """
        head = ["partner_id", *STAGE_COLUMNS]
        columns = ", ".join(f'"{fname}"' for fname in head + fnames)
        self.env.cr.execute(
            f"SELECT id, {columns} FROM crm_lifecycle_profile WHERE id = ANY(%s)",  # noqa: S608
            [self.ids],
        )
        comparable = self._lifecycle_comparable(fnames)
        current = {}
        for row in self.env.cr.fetchall():
            state = dict(zip(head, row[1 : len(head) + 1], strict=True))
            state["values"] = comparable(row[len(head) + 1 :])
            current[row[0]] = state
        return current

    def _lifecycle_bulk_update(self, changes):
        """Write ``{profile_id: {field: value}}`` in one statement.

        Every dict must have the same keys. Bypasses the ORM on purpose: these
        are figures, not events; stage moves go through :meth:`write`. The
        values travel as one array per column (``unnest``), the cheapest
        way to hand PostgreSQL many rows.
        """
        if not changes:
            return
        fnames = sorted(next(iter(changes.values())))
        casts = [SQL_CASTS[self._fields[fname].type] for fname in fnames]
        assignments = ", ".join(f'"{fname}" = v."{fname}"' for fname in fnames)
        arrays = ", ".join(f"%s::{cast}[]" for cast in casts)
        columns = ", ".join(f'"{fname}"' for fname in fnames)
        self.env.cr.execute(
            f"""
            UPDATE crm_lifecycle_profile AS p
               SET {assignments},
                   write_uid = %s,
                   write_date = NOW() AT TIME ZONE 'UTC'
              FROM unnest(%s::int4[], {arrays}) AS v(id, {columns})
             WHERE p.id = v.id
            """,  # noqa: S608 - field names come from the model
            [
                self.env.uid,
                list(changes),
                *([vals[fname] for vals in changes.values()] for fname in fnames),
            ],
        )
        self.invalidate_model(fnames + ["write_uid", "write_date"])

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

        Returns ``(initial, moves, unlock)``: ``{profile_id: (stage,
        decision)}`` for profiles without a stage yet and for profiles that
        change stage, and the ids of profiles whose override lock ended.
        """
        stages = self._lifecycle_stages()
        thresholds = self._lifecycle_thresholds(company)
        initial, moves, unlock = {}, {}, []
        for profile_id, vals in new_values.items():
            state = current[profile_id]
            if state["stage_locked"]:
                if not state["lock_until"] or state["lock_until"] >= today:
                    continue
                unlock.append(profile_id)
            decision = self._lifecycle_decide_stage(vals, state, today, thresholds)
            stage = stages[decision.kind]
            if state["stage_id"] == stage.id:
                continue
            target = moves if state["stage_id"] else initial
            target[profile_id] = (stage, decision)
        return initial, moves, unlock

    @api.model
    def _lifecycle_decide_stage(self, vals, state, today, thresholds):
        """Return the :class:`~.lib.stage_engine.Decision` for one profile.

        :param vals: the profile's new values (see
            :meth:`_lifecycle_batch_values`)
        :param state: its stored stage state (see
            :meth:`_lifecycle_read_current`)

        Override to add a rule: return your own decision (a kind and a reason
        code that :meth:`_lifecycle_reason` knows) or ``super()``'s.
        """
        figures = stage_engine.Figures(
            purchase_count=vals["purchase_count"],
            purchase_count_12m=vals["purchase_count_12m"],
            first_purchase_date=vals["first_purchase_date"],
            last_purchase_date=vals["last_purchase_date"],
            avg_interval_days=vals["avg_interval_days"],
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
            self.browse(unlock).write(
                {"stage_locked": False, "lock_until": False, "lock_reason": False}
            )
        by_stage = {}
        for profile_id, (stage, _decision) in moves.items():
            by_stage.setdefault(stage, []).append(profile_id)
        for stage, profile_ids in by_stage.items():
            self.browse(profile_ids).with_context(lifecycle_stage_write=True).write(
                {"stage_id": stage.id, "stage_date": today}
            )
        history = []
        for profile_id, (stage, decision) in {**initial, **moves}.items():
            state = current[profile_id]
            history.append(
                {
                    "profile_id": profile_id,
                    "partner_id": state["partner_id"],
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
        self.browse(list(moves))._lifecycle_post_stage_messages(
            {
                profile_id: (current[profile_id]["stage_id"], stage, decision)
                for profile_id, (stage, decision) in moves.items()
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
        moves = {profile.id: (profile.stage_id.id, stage) for profile in self}
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
        for profile in self:
            from_id, _stage = moves[profile.id]
            profile.partner_id.sudo().message_post(
                body=self.env._(
                    "Lifecycle stage in %(company)s set by hand: %(old)s → %(new)s. "
                    "Reason: %(reason)s",
                    company=profile.company_id.name,
                    old=self.env["crm.lifecycle.stage"].browse(from_id).name or "-",
                    new=stage.name,
                    reason=reason,
                ),
                subtype_xmlid="mail.mt_note",
            )

    # ------------------------------------------------------------
    # RFM
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_compute_rfm(self, company):
        """Score recency, frequency and monetary value 1-5 by percent rank
        among ``company``'s customers with a purchase, and match segments.

        One statement; only rows whose scores or segment change are written.
        """
        self.env["crm.lifecycle.segment"].flush_model()
        self.flush_model()
        self.env.cr.execute(
            """
            WITH scored AS (
                SELECT id,
                       LEAST(5, 1 + FLOOR(5 * PERCENT_RANK()
                           OVER (ORDER BY last_purchase_date)))::int AS r,
                       LEAST(5, 1 + FLOOR(5 * PERCENT_RANK()
                           OVER (ORDER BY purchase_count)))::int AS f,
                       LEAST(5, 1 + FLOOR(5 * PERCENT_RANK()
                           OVER (ORDER BY revenue_total)))::int AS m
                  FROM crm_lifecycle_profile
                 WHERE company_id = %(company)s AND purchase_count > 0
            ), matched AS (
                SELECT scored.*,
                       (SELECT segment.id
                          FROM crm_lifecycle_segment segment
                         WHERE segment.active
                           AND scored.r BETWEEN segment.recency_min
                                            AND segment.recency_max
                           AND scored.f BETWEEN segment.frequency_min
                                            AND segment.frequency_max
                           AND scored.m BETWEEN segment.monetary_min
                                            AND segment.monetary_max
                      ORDER BY segment.sequence, segment.id
                         LIMIT 1) AS segment_id
                  FROM scored
            ), target AS (
                SELECT profile.id,
                       matched.r, matched.f, matched.m, matched.segment_id,
                       matched.r::text || matched.f::text || matched.m::text
                           AS code
                  FROM crm_lifecycle_profile profile
             LEFT JOIN matched ON matched.id = profile.id
                 WHERE profile.company_id = %(company)s
            )
            UPDATE crm_lifecycle_profile AS profile
               SET recency_score = target.r,
                   frequency_score = target.f,
                   monetary_score = target.m,
                   rfm_code = target.code,
                   segment_id = target.segment_id,
                   write_uid = %(uid)s,
                   write_date = NOW() AT TIME ZONE 'UTC'
              FROM target
             WHERE profile.id = target.id
               AND (profile.recency_score IS DISTINCT FROM target.r
                    OR profile.frequency_score IS DISTINCT FROM target.f
                    OR profile.monetary_score IS DISTINCT FROM target.m
                    OR profile.segment_id IS DISTINCT FROM target.segment_id)
            """,
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
        self._lifecycle_sync_profiles(company)
        profiles = self.search([("company_id", "=", company.id)])
        for days_ago in (540, 365, 180, 90, 30, 0):
            profiles._lifecycle_recompute(today - relativedelta(days=days_ago))
        self._lifecycle_compute_rfm(company)

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
