from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from .crm_collections_aging import open_items_sql

# The figures: written by the refresh (SQL) only, read-only for users.
FIGURE_FIELDS = (
    "amount_due",
    "amount_overdue",
    "amount_current",
    "amount_1_30",
    "amount_31_60",
    "amount_61_90",
    "amount_over_90",
    "days_overdue_max",
    "promise_count",
    "promise_amount",
    "dunning_level_id",
    "dunning_date",
    "profile_id",
)
IDENTITY_FIELDS = {"partner_id", "company_id", "refresh_date"}

NEXT_ACTIONS = [
    ("call", "Call"),
    ("email", "Email"),
    ("letter", "Letter"),
    ("visit", "Visit"),
    ("wait_promise", "Wait for Promise"),
    ("escalate", "Escalate"),
]


class CrmCollectionsWorkspace(models.Model):
    """The collector's screen: one row per customer (commercial entity) and
    company that owes money, with its aging figures (refreshed set-based by
    :meth:`_collections_refresh_workspace`) and the collector's own fields
    (collector, next action and date, note)."""

    _name = "crm.collections.workspace"
    _description = "Collections Workspace"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "amount_overdue desc, id"
    _check_company_auto = True
    _rec_names_search = ["partner_id"]

    # Identity (engine)
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, readonly=True, index=True
    )
    currency_id = fields.Many2one(
        related="company_id.currency_id", store=True, string="Currency"
    )
    salesperson_id = fields.Many2one(
        related="partner_id.user_id", store=True, string="Salesperson"
    )

    # Collector's fields
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Collector",
        index=True,
        tracking=True,
        domain="[('share', '=', False)]",
        help="The collector responsible for this customer.",
    )
    next_action = fields.Selection(
        selection=NEXT_ACTIONS,
        tracking=True,
        group_expand="_read_group_next_action",
        help="What the collector does next with this customer.",
    )
    next_action_date = fields.Date(tracking=True)
    note = fields.Text(help="The collector's notes on the customer's situation.")

    # Aging figures (engine, company currency)
    amount_due = fields.Monetary(
        string="Total Due",
        readonly=True,
        help="All open receivables of the customer (credits deducted).",
    )
    amount_overdue = fields.Monetary(
        string="Overdue",
        readonly=True,
        help="Open receivables at least one day past their due date.",
    )
    amount_current = fields.Monetary(
        string="Current", readonly=True, help="Not yet due, or due today."
    )
    amount_1_30 = fields.Monetary(
        string="1-30 Days", readonly=True, help="1 to 30 days overdue."
    )
    amount_31_60 = fields.Monetary(
        string="31-60 Days", readonly=True, help="31 to 60 days overdue."
    )
    amount_61_90 = fields.Monetary(
        string="61-90 Days", readonly=True, help="61 to 90 days overdue."
    )
    amount_over_90 = fields.Monetary(
        string="Over 90 Days", readonly=True, help="91 days overdue or more."
    )
    days_overdue_max = fields.Integer(
        string="Oldest Overdue (Days)",
        readonly=True,
        aggregator="max",
        help="Days overdue of the oldest open invoice.",
    )
    promise_count = fields.Integer(
        string="Open Promises", readonly=True, help="Open promises to pay."
    )
    promise_amount = fields.Monetary(
        string="Promised Amount", readonly=True, help="Amount of the open promises."
    )
    dunning_level_id = fields.Many2one(
        comodel_name="crm.collections.level",
        string="Last Dunning Level",
        readonly=True,
        help="The level of the customer's last sent (or to send) reminder.",
    )
    dunning_date = fields.Date(
        string="Last Dunning", readonly=True, help="The date of that reminder."
    )
    refresh_date = fields.Datetime(
        string="Figures Updated", readonly=True, help="When the figures last changed."
    )

    # From the lifecycle profile (the root company's)
    profile_id = fields.Many2one(
        comodel_name="crm.lifecycle.profile",
        string="Lifecycle Profile",
        readonly=True,
        ondelete="set null",
    )
    churn_risk = fields.Integer(related="profile_id.churn_risk")
    churn_level = fields.Selection(related="profile_id.churn_level")
    predicted_clv = fields.Monetary(
        related="profile_id.predicted_clv", currency_field="currency_id"
    )
    tier_id = fields.Many2one(related="profile_id.tier_id")
    stage_id = fields.Many2one(related="profile_id.stage_id")

    # The partner's documents (form)
    invoice_ids = fields.Many2many(
        comodel_name="account.move",
        compute="_compute_documents",
        string="Open Invoices",
    )
    promise_ids = fields.Many2many(
        comodel_name="crm.collections.promise",
        compute="_compute_documents",
        string="Promises",
    )
    dispute_ids = fields.Many2many(
        comodel_name="crm.collections.dispute",
        compute="_compute_documents",
        string="Disputes",
    )
    line_ids = fields.Many2many(
        comodel_name="crm.collections.line",
        compute="_compute_documents",
        string="Dunning Lines",
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "UNIQUE (partner_id, company_id)",
            "A customer has one collections row per company.",
        )
    ]

    def _compute_display_name(self):
        for row in self:
            row.display_name = row.partner_id.display_name

    @api.model
    def _read_group_next_action(self, values, domain):
        return [key for key, __ in NEXT_ACTIONS]

    def _compute_documents(self):
        # One search per model for all rows, split in Python.
        partners, companies = self.partner_id.ids, self.company_id.ids
        invoices = self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", partners),
                ("company_id", "in", companies),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
            ],
            order="invoice_date_due, id",
        )
        promises = self.env["crm.collections.promise"].search(
            [("partner_id", "in", partners), ("company_id", "in", companies)]
        )
        disputes = self.env["crm.collections.dispute"].search(
            [("partner_id", "in", partners), ("company_id", "in", companies)]
        )
        lines = self.env["crm.collections.line"].search(
            [("partner_id", "in", partners), ("company_id", "in", companies)]
        )
        for row in self:

            def mine(record, row=row):
                return (
                    record.company_id == row.company_id
                    and record.partner_id.commercial_partner_id == row.partner_id
                )

            row.invoice_ids = invoices.filtered(mine)
            row.promise_ids = promises.filtered(mine)
            row.dispute_ids = disputes.filtered(mine)
            row.line_ids = lines.filtered(mine)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "Collections workspace rows are created by the refresh "
                    "of the figures, not by hand."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        engine_fields = IDENTITY_FIELDS | set(self._collections_figure_fields())
        if not self.env.su and engine_fields & set(vals):
            raise AccessError(
                self.env._(
                    "The figures of the collections workspace are computed from "
                    "the receivables: use Refresh. Collectors set the collector, "
                    "next action, its date and the note."
                )
            )
        return super().write(vals)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.model
    def action_refresh(self):
        """Refresh the figures of the user's companies now."""
        if not self.env.user.has_group("crm_collections.group_collections_user"):
            raise AccessError(
                self.env._("Only collectors can refresh the collections workspace.")
            )
        self.sudo()._collections_refresh_workspace(self.env.companies)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_record_promise(self):
        """Open a new promise to pay prefilled with the overdue invoices."""
        self.ensure_one()
        overdue = self.invoice_ids.filtered(
            lambda move: (
                move.move_type == "out_invoice"
                and move.invoice_date_due
                and move.invoice_date_due < fields.Date.context_today(self)
            )
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Promise to Pay"),
            "res_model": "crm.collections.promise",
            "view_mode": "form",
            "views": [[False, "form"]],
            "target": "new",
            "context": {
                "default_partner_id": self.partner_id.id,
                "default_company_id": self.company_id.id,
                "default_amount": self.amount_overdue,
                "default_move_ids": overdue.ids,
                "default_line_id": self.line_ids[:1].id,
            },
        }

    def action_schedule_activity(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Schedule an Activity"),
            "res_model": "mail.activity.schedule",
            "view_mode": "form",
            "views": [[False, "form"]],
            "target": "new",
            "context": {
                "active_model": self._name,
                "active_id": self.id,
                "active_ids": self.ids,
            },
        }

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "views": [[False, "form"]],
        }

    # ------------------------------------------------------------
    # REFRESH (set-based)
    # ------------------------------------------------------------

    @api.model
    def _cron_collections_workspace(self):
        """Daily: refresh the figures of every company."""
        self.sudo()._collections_refresh_workspace()

    @api.model
    def _collections_refresh_workspace(self, companies=None, date=None):
        """Refresh the figures in three statements: INSERT the customers
        that newly owe money overdue, UPDATE the rows whose figures changed
        (and only those), zero the rows of customers who settled. Returns
        ``(inserted, updated, zeroed)`` counts."""
        date = date or fields.Date.context_today(self)
        company_ids = companies.ids if companies else None
        self.env.flush_all()
        cr = self.env.cr
        figure_fields = self._collections_figure_fields()
        figures = self._collections_figures_sql(date, company_ids)
        cr.execute("DROP TABLE IF EXISTS crm_collections_workspace_figures")
        cr.execute(
            SQL(
                "CREATE TEMP TABLE crm_collections_workspace_figures "
                "ON COMMIT DROP AS (%s)",
                figures,
            )
        )
        columns = SQL(", ").join(SQL.identifier(name) for name in figure_fields)
        new_columns = SQL(", ").join(
            SQL("f.%s", SQL.identifier(name)) for name in figure_fields
        )
        cr.execute(
            SQL(
                """
                INSERT INTO crm_collections_workspace
                       (partner_id, company_id, currency_id, salesperson_id,
                        %(columns)s, refresh_date, create_uid, create_date,
                        write_uid, write_date)
                SELECT f.partner_id, f.company_id, c.currency_id, rp.user_id,
                       %(new)s, now() at time zone 'UTC', %(uid)s,
                       now() at time zone 'UTC', %(uid)s, now() at time zone 'UTC'
                  FROM crm_collections_workspace_figures f
                  JOIN res_company c ON c.id = f.company_id
                  JOIN res_partner rp ON rp.id = f.partner_id
                 WHERE f.amount_overdue > 0
                   AND NOT EXISTS (
                       SELECT 1 FROM crm_collections_workspace w
                        WHERE w.partner_id = f.partner_id
                          AND w.company_id = f.company_id)
                -- a refresh running at the same time (the job, a button)
                -- inserted it first: its row is updated below
                ON CONFLICT (partner_id, company_id) DO NOTHING
                """,
                columns=columns,
                new=new_columns,
                uid=self.env.uid,
            )
        )
        inserted = cr.rowcount
        cr.execute(
            SQL(
                """
                UPDATE crm_collections_workspace w
                   SET (%(columns)s) = (%(new)s),
                       refresh_date = now() at time zone 'UTC'
                  FROM crm_collections_workspace_figures f
                 WHERE w.partner_id = f.partner_id
                   AND w.company_id = f.company_id
                   AND (%(columns_w)s) IS DISTINCT FROM (%(new)s)
                """,
                columns=columns,
                new=new_columns,
                columns_w=SQL(", ").join(
                    SQL("w.%s", SQL.identifier(name)) for name in figure_fields
                ),
            )
        )
        updated = cr.rowcount
        zero_columns = [name for name in figure_fields if name.startswith("amount_")]
        cr.execute(
            SQL(
                """
                UPDATE crm_collections_workspace w
                   SET %(set)s, days_overdue_max = 0,
                       refresh_date = now() at time zone 'UTC'
                 WHERE %(company_filter)s
                   AND (%(nonzero)s OR w.days_overdue_max != 0)
                   AND NOT EXISTS (
                       SELECT 1 FROM crm_collections_workspace_figures f
                        WHERE f.partner_id = w.partner_id
                          AND f.company_id = w.company_id)
                """,
                set=SQL(", ").join(
                    SQL("%s = 0", SQL.identifier(name)) for name in zero_columns
                ),
                nonzero=SQL(" OR ").join(
                    SQL("w.%s != 0", SQL.identifier(name)) for name in zero_columns
                ),
                company_filter=SQL("w.company_id = ANY(%s)", company_ids)
                if company_ids
                else SQL("TRUE"),
            )
        )
        zeroed = cr.rowcount
        cr.execute("DROP TABLE crm_collections_workspace_figures")
        self.invalidate_model()
        return inserted, updated, zeroed

    @api.model
    def _collections_figure_fields(self):
        """The stored figures the refresh writes (refused to users). Override
        to add one, with its column in :meth:`_collections_figures_sql`."""
        return list(FIGURE_FIELDS)

    @api.model
    def _collections_figures_sql(self, date, company_ids):
        """SQL: one row per commercial partner and company with open
        receivables aged at ``date``: ``partner_id``, ``company_id`` and one
        column per name of :meth:`_collections_figure_fields`. Override to
        add columns, e.g. ``SELECT f.*, x.col FROM (super) f LEFT JOIN ...``."""
        return SQL(
            """
            WITH items AS (%(items)s),
            aging AS (
                SELECT partner_id, company_id,
                       SUM(amount_residual) AS amount_due,
                       SUM(amount_residual) FILTER (WHERE bucket != 'current')
                           AS amount_overdue,
                       SUM(amount_residual) FILTER (WHERE bucket = 'current')
                           AS amount_current,
                       SUM(amount_residual) FILTER (WHERE bucket = '1_30')
                           AS amount_1_30,
                       SUM(amount_residual) FILTER (WHERE bucket = '31_60')
                           AS amount_31_60,
                       SUM(amount_residual) FILTER (WHERE bucket = '61_90')
                           AS amount_61_90,
                       SUM(amount_residual) FILTER (WHERE bucket = 'over_90')
                           AS amount_over_90,
                       MAX(days_overdue) FILTER (WHERE amount_residual > 0)
                           AS days_overdue_max
                  FROM items
                 WHERE partner_id IS NOT NULL
              GROUP BY partner_id, company_id
            ), promise AS (
                SELECT partner_id, company_id, COUNT(*) AS n, SUM(amount) AS amount
                  FROM crm_collections_promise
                 WHERE state = 'open'
              GROUP BY partner_id, company_id
            ), dunning AS (
                SELECT DISTINCT ON (line.partner_id, line.company_id)
                       line.partner_id, line.company_id, line.level_id, line.date
                  FROM crm_collections_line line
                 WHERE line.state IN ('to_send', 'sent')
              ORDER BY line.partner_id, line.company_id, line.date DESC, line.id DESC
            )
            SELECT aging.partner_id, aging.company_id,
                   ROUND(COALESCE(aging.amount_due, 0), 2) AS amount_due,
                   ROUND(COALESCE(aging.amount_overdue, 0), 2) AS amount_overdue,
                   ROUND(COALESCE(aging.amount_current, 0), 2) AS amount_current,
                   ROUND(COALESCE(aging.amount_1_30, 0), 2) AS amount_1_30,
                   ROUND(COALESCE(aging.amount_31_60, 0), 2) AS amount_31_60,
                   ROUND(COALESCE(aging.amount_61_90, 0), 2) AS amount_61_90,
                   ROUND(COALESCE(aging.amount_over_90, 0), 2) AS amount_over_90,
                   COALESCE(aging.days_overdue_max, 0) AS days_overdue_max,
                   COALESCE(promise.n, 0) AS promise_count,
                   ROUND(COALESCE(promise.amount, 0), 2) AS promise_amount,
                   dunning.level_id AS dunning_level_id,
                   dunning.date AS dunning_date,
                   prof.id AS profile_id
              FROM aging
              JOIN res_company c ON c.id = aging.company_id
         LEFT JOIN promise ON promise.partner_id = aging.partner_id
                          AND promise.company_id = aging.company_id
         LEFT JOIN dunning ON dunning.partner_id = aging.partner_id
                          AND dunning.company_id = aging.company_id
         LEFT JOIN crm_lifecycle_profile prof
                ON prof.partner_id = aging.partner_id
               AND prof.company_id = split_part(c.parent_path, '/', 1)::int4
            """,
            items=open_items_sql(date, company_ids),
        )
