from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.models.crm_lifecycle_kpi_mixin import ROOT_COMPANY


class CrmSupportKpiPeriod(models.Model):
    """Median and mean response and resolution times per root company,
    month of creation, team and request type. A median cannot be added up: each
    row is exact for its month and type, and the rows are shown as a list
    (group them by month or type to read them side by side)."""

    _name = "crm.support.kpi.period"
    _inherit = "crm.lifecycle.kpi.mixin"
    _auto = False
    _kpi_materialized = False
    _description = "Support Response Times per Month"
    _order = "month desc, type_id, id"
    _rec_name = "month"

    month = fields.Date(
        readonly=True, help="First day of the month the requests were created in."
    )
    team_id = fields.Many2one(comodel_name="helpdesk.ticket.team", readonly=True)
    type_id = fields.Many2one(comodel_name="helpdesk.ticket.type", readonly=True)
    request_count = fields.Integer(
        string="Requests", readonly=True, help="Requests created in the month."
    )
    answered_count = fields.Integer(
        string="Answered",
        readonly=True,
        help="Of them, requests with a first response.",
    )
    closed_count = fields.Integer(
        string="Closed", readonly=True, help="Of them, requests in a closed stage."
    )
    first_response_median = fields.Float(
        string="Median First Response (h)",
        readonly=True,
        aggregator=None,
        digits=(16, 2),
        help="Median working hours to the first response over the answered "
        "requests (the mean of the two middle values for an even count).",
    )
    first_response_mean = fields.Float(
        string="Mean First Response (h)",
        readonly=True,
        aggregator=None,
        digits=(16, 2),
        help="Mean working hours to the first response over the answered requests.",
    )
    resolution_median = fields.Float(
        string="Median Resolution (h)",
        readonly=True,
        aggregator=None,
        digits=(16, 2),
        help="Median working hours from creation to closing over the closed requests.",
    )
    resolution_mean = fields.Float(
        string="Mean Resolution (h)",
        readonly=True,
        aggregator=None,
        digits=(16, 2),
        help="Mean working hours from creation to closing over the closed requests.",
    )

    def _kpi_query(self):
        return SQL(
            """
            WITH rows AS (
                SELECT %(root)s AS company_id,
                       date_trunc('month', t.create_date)::date AS month,
                       t.team_id, t.type_id,
                       CASE WHEN t.first_response_date IS NOT NULL
                            THEN t.first_response_hours END AS fr,
                       CASE WHEN stage.closed AND t.closed_date IS NOT NULL
                            THEN t.resolution_hours END AS res
                  FROM helpdesk_ticket t
                  JOIN res_company c ON c.id = t.company_id
             LEFT JOIN helpdesk_ticket_stage stage ON stage.id = t.stage_id
            )
            SELECT row_number() OVER (
                       ORDER BY company_id, month, team_id, type_id) AS id,
                   company_id, month, team_id, type_id,
                   COUNT(*) AS request_count,
                   COUNT(fr) AS answered_count,
                   COUNT(res) AS closed_count,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY fr)
                       AS first_response_median,
                   AVG(fr) AS first_response_mean,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY res)
                       AS resolution_median,
                   AVG(res) AS resolution_mean
              FROM rows
          GROUP BY company_id, month, team_id, type_id
            """,
            root=ROOT_COMPANY,
        )
