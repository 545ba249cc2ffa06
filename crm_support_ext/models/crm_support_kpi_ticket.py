from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.models.crm_lifecycle_kpi_mixin import ROOT_COMPANY

# Odoo's "satisfied" threshold (rating.rating: 5 satisfied, 3 okay, 1
# dissatisfied; rating_data.RATING_LIMIT_SATISFIED)
TOP_RATING = 4


class CrmSupportKpiTicket(models.Model):
    """Support KPIs, one row per request: count, first-response and
    resolution hours, response rate, reopen rate and CSAT. The rates are
    per-row percentages (100, 0, or empty when they do not apply) averaged
    by the pivot, so that any grouping (type, category, team, agent,
    period, lifecycle stage) shows the exact share."""

    _name = "crm.support.kpi.ticket"
    _inherit = "crm.lifecycle.kpi.mixin"
    _auto = False
    _kpi_materialized = False
    _description = "Support KPIs per Request"
    _order = "date desc, id desc"
    _rec_name = "ticket_id"

    ticket_id = fields.Many2one(
        comodel_name="helpdesk.ticket", string="Request", readonly=True
    )
    date = fields.Datetime(
        string="Created on", readonly=True, help="When the request was created."
    )
    team_id = fields.Many2one(comodel_name="helpdesk.ticket.team", readonly=True)
    user_id = fields.Many2one(comodel_name="res.users", string="Agent", readonly=True)
    type_id = fields.Many2one(comodel_name="helpdesk.ticket.type", readonly=True)
    category_id = fields.Many2one(
        comodel_name="helpdesk.ticket.category", readonly=True
    )
    channel_id = fields.Many2one(comodel_name="helpdesk.ticket.channel", readonly=True)
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Customer", readonly=True
    )
    lifecycle_stage_id = fields.Many2one(
        comodel_name="crm.lifecycle.stage",
        readonly=True,
        help="The customer's lifecycle stage today (its profile in the "
        "request's root company).",
    )
    request_count = fields.Integer(string="Requests", readonly=True)
    open_count = fields.Integer(
        string="Open", readonly=True, help="1 if the request is in an open stage."
    )
    first_response_hours = fields.Float(
        readonly=True,
        aggregator="avg",
        help="Working hours on the team's calendar from creation to the first "
        "response; empty while unanswered. The pivot shows the mean.",
    )
    resolution_hours = fields.Float(
        readonly=True,
        aggregator="avg",
        help="Working hours on the team's calendar from creation to the "
        "closing; empty while the request is open. The pivot shows the mean.",
    )
    sla_lines = fields.Integer(
        string="First-Response SLAs",
        readonly=True,
        help="First-response SLA lines of the request.",
    )
    sla_met = fields.Integer(
        string="First-Response SLAs Met",
        readonly=True,
        help="First-response SLA lines met: accomplished and never flagged "
        "as breached.",
    )
    response_rate = fields.Float(
        string="Response Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Share answered within SLA: first-response SLA lines met / all "
        "first-response SLA lines (open lines count as not met yet), per "
        "request and averaged over the requests with such a line: the same "
        "as the line ratio when each request has one first-response policy. "
        "The exact line ratio is First-Response SLAs Met / First-Response "
        "SLAs.",
    )
    closed_count = fields.Integer(
        string="Closed",
        readonly=True,
        help="1 if the request is in a closed stage or was ever reopened "
        "(it was closed once).",
    )
    reopened_count = fields.Integer(
        string="Reopened",
        readonly=True,
        help="1 if the request left a closed stage for an open one at least once.",
    )
    reopen_rate = fields.Float(
        string="Reopen Rate (%)",
        readonly=True,
        aggregator="avg",
        help="Reopened requests / closed requests (requests closed at least "
        "once), in percent.",
    )
    rating = fields.Float(
        readonly=True,
        aggregator="avg",
        help="The customer's last rating of the request (1, 3 or 5); empty "
        "when not rated.",
    )
    rated_count = fields.Integer(string="Rated", readonly=True)
    csat = fields.Float(
        string="CSAT (%)",
        readonly=True,
        aggregator="avg",
        help="Customer satisfaction: rated requests whose last rating is a "
        "top one (Satisfied, 4 or more) / rated requests, in percent.",
    )

    def _kpi_query(self):
        return SQL(
            """
            WITH fr AS (
                SELECT line.ticket_id,
                       COUNT(*) AS lines,
                       COUNT(*) FILTER (WHERE line.state = 'accomplished'
                                         AND NOT COALESCE(line.breached, FALSE))
                           AS met
                  FROM helpdesk_ticket_sla line
                 WHERE line.target_kind = 'first_response'
              GROUP BY line.ticket_id
            ), last_rating AS (
                SELECT DISTINCT ON (r.res_id) r.res_id AS ticket_id, r.rating
                  FROM rating_rating r
                 WHERE r.res_model = 'helpdesk.ticket'
                   AND r.consumed AND r.rating > 0
              ORDER BY r.res_id, r.write_date DESC, r.id DESC
            )
            SELECT t.id, t.id AS ticket_id,
                   %(root)s AS company_id,
                   t.create_date AS date,
                   t.team_id, t.user_id, t.type_id, t.category_id,
                   t.channel_id,
                   t.commercial_partner_id AS partner_id,
                   profile.stage_id AS lifecycle_stage_id,
                   1 AS request_count,
                   CASE WHEN stage.closed THEN 0 ELSE 1 END AS open_count,
                   CASE WHEN t.first_response_date IS NOT NULL
                        THEN t.first_response_hours END AS first_response_hours,
                   CASE WHEN stage.closed AND t.closed_date IS NOT NULL
                        THEN t.resolution_hours END AS resolution_hours,
                   COALESCE(fr.lines, 0) AS sla_lines,
                   COALESCE(fr.met, 0) AS sla_met,
                   CASE WHEN fr.lines > 0
                        THEN 100.0 * fr.met / fr.lines END AS response_rate,
                   %(closed)s::int4 AS closed_count,
                   (COALESCE(t.reopen_count, 0) > 0)::int4 AS reopened_count,
                   CASE WHEN %(closed)s
                        THEN CASE WHEN t.reopen_count > 0 THEN 100.0
                                  ELSE 0.0 END END AS reopen_rate,
                   lr.rating,
                   (lr.rating IS NOT NULL)::int4 AS rated_count,
                   CASE WHEN lr.rating >= %(top)s THEN 100.0
                        WHEN lr.rating IS NOT NULL THEN 0.0 END AS csat
              FROM helpdesk_ticket t
              JOIN res_company c ON c.id = t.company_id
         LEFT JOIN helpdesk_ticket_stage stage ON stage.id = t.stage_id
         LEFT JOIN crm_lifecycle_profile profile
                ON profile.company_id = %(root)s
               AND profile.partner_id = t.commercial_partner_id
         LEFT JOIN fr ON fr.ticket_id = t.id
         LEFT JOIN last_rating lr ON lr.ticket_id = t.id
            """,
            root=ROOT_COMPANY,
            closed=SQL(
                "(COALESCE(stage.closed, FALSE) OR COALESCE(t.reopen_count, 0) > 0)"
            ),
            top=TOP_RATING,
        )
