from datetime import datetime, time

from odoo import api, fields, models

from .crm_lifecycle_profile_log_mixin import insert_rows
from .crm_lifecycle_stage import STAGE_KINDS

# Columns of a history row given to :meth:`_lifecycle_create_history`; a row
# may leave out ``churn_reason_id`` (only manual moves to Churned have one).
HISTORY_KEYS = {
    "profile_id": "int4",
    "partner_id": "int4",
    "company_id": "int4",
    "from_stage_id": "int4",
    "to_stage_id": "int4",
    "from_kind": "varchar",
    "to_kind": "varchar",
    "origin": "varchar",
    "reason": "varchar",
    "duration_days": "int4",
    "churn_reason_id": "int4",
}


class CrmLifecycleHistory(models.Model):
    _name = "crm.lifecycle.history"
    _inherit = ["crm.lifecycle.profile.log.mixin"]
    _description = "Customer Lifecycle Stage Change"
    _order = "date desc, id desc"
    _rec_name = "to_stage_id"
    _check_company_auto = True

    date = fields.Datetime(
        required=True, default=fields.Datetime.now, index=True, readonly=True
    )
    from_stage_id = fields.Many2one(
        comodel_name="crm.lifecycle.stage", ondelete="restrict", readonly=True
    )
    to_stage_id = fields.Many2one(
        comodel_name="crm.lifecycle.stage",
        required=True,
        ondelete="restrict",
        readonly=True,
    )
    from_kind = fields.Selection(STAGE_KINDS, readonly=True)
    to_kind = fields.Selection(STAGE_KINDS, required=True, readonly=True)
    origin = fields.Selection(
        [("engine", "Lifecycle engine"), ("manual", "Manual override")],
        required=True,
        default="engine",
        readonly=True,
    )
    reason = fields.Char(required=True, readonly=True)
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Changed By",
        default=lambda self: self.env.user,
        readonly=True,
    )
    duration_days = fields.Integer(
        string="Days in Previous Stage",
        aggregator="avg",
        readonly=True,
        help="How long the customer stayed in the stage it left.",
    )
    churn_reason_id = fields.Many2one(
        comodel_name="crm.lifecycle.churn.reason",
        index=True,
        readonly=True,
        ondelete="restrict",
        help="Why the customer churned, given by the manager who set it to "
        "Churned by hand.",
    )

    @api.model
    def _lifecycle_create_history(self, rows, today, user=None):
        """Insert stage history rows in bulk, in one statement.

        :param rows: dicts with the keys of :data:`HISTORY_KEYS`
            (``churn_reason_id`` optional)
        :param today: the day of the change; an as-of run (demo data,
            back-fills) dates its rows that day
        :param user: who changed the stage (the current user by default)
        """
        if not rows:
            return
        now = fields.Datetime.now()
        if today < now.date():
            now = datetime.combine(today, time(3))
        uid = (user or self.env.user).id
        insert_rows(
            self.env.cr,
            self._table,
            HISTORY_KEYS,
            rows,
            {
                "date": now,
                "user_id": uid,
                "create_uid": uid,
                "create_date": now,
                "write_uid": uid,
                "write_date": now,
            },
        )
        self.invalidate_model()
