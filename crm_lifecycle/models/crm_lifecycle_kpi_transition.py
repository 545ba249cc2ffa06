from odoo import fields, models
from odoo.tools import SQL

from .crm_lifecycle_stage import STAGE_KINDS


class CrmLifecycleKpiTransition(models.Model):
    """Stage transitions: how many customers moved from one stage to
    another, per company and month, from the stage history (a first stage
    has no "from" stage)."""

    _name = "crm.lifecycle.kpi.transition"
    _inherit = "crm.lifecycle.kpi.mixin"
    _auto = False
    _description = "Lifecycle Stage Transitions"
    _order = "company_id, month desc, id"
    _rec_name = "to_stage_id"

    month = fields.Date(readonly=True, help="The first day of the month.")
    from_stage_id = fields.Many2one(
        comodel_name="crm.lifecycle.stage",
        readonly=True,
        help="Empty for a customer's first stage.",
    )
    to_stage_id = fields.Many2one(comodel_name="crm.lifecycle.stage", readonly=True)
    from_kind = fields.Selection(STAGE_KINDS, readonly=True)
    to_kind = fields.Selection(STAGE_KINDS, readonly=True)
    origin = fields.Selection(
        [("engine", "Lifecycle engine"), ("manual", "Manual override")],
        readonly=True,
    )
    transition_count = fields.Integer(
        string="Transitions",
        readonly=True,
        help="Stage changes from the From stage to the To stage.",
    )
    duration_days = fields.Float(
        string="Average Days in From Stage",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Average days the customers stayed in the stage they left, per "
        "row (over several rows: the average of the rows' averages).",
    )

    def _kpi_query(self):
        return SQL(
            """
            SELECT row_number() OVER (
                       ORDER BY company_id, month, from_stage_id NULLS FIRST,
                                to_stage_id, origin) AS id,
                   *
              FROM (
                SELECT company_id, date_trunc('month', date)::date AS month,
                       from_stage_id, to_stage_id,
                       MIN(from_kind) AS from_kind, MIN(to_kind) AS to_kind,
                       origin,
                       COUNT(*) AS transition_count,
                       ROUND(AVG(duration_days), 1) AS duration_days
                  FROM crm_lifecycle_history
              GROUP BY company_id, date_trunc('month', date), from_stage_id,
                       to_stage_id, origin
              ) AS transitions
            """
        )
