from odoo import fields, models
from odoo.tools import SQL

from .crm_lifecycle_stage import STAGE_KINDS

# RFM segments (by XML id) whose customers count as loyal, besides those in
# a stage of kind Loyal.
LOYAL_SEGMENTS = ("segment_champions", "segment_loyal")


def loyal_condition(profile, stage_kind):
    """SQL: is the customer of ``profile`` loyal (a stage of kind Loyal, or
    the RFM segment Champions or Loyal)?"""
    return SQL(
        """(COALESCE(%(kind)s = 'loyal', FALSE)
            OR COALESCE(%(profile)s.segment_id IN (
                SELECT res_id FROM ir_model_data
                 WHERE module = 'crm_lifecycle'
                   AND model = 'crm.lifecycle.segment'
                   AND name IN %(segments)s), FALSE))""",
        kind=stage_kind,
        profile=SQL.identifier(profile),
        segments=LOYAL_SEGMENTS,
    )


class CrmLifecycleKpiValue(models.Model):
    """Predicted value and lifecycle length of the customers, one row per
    lifecycle profile, to group by stage, value segment, loyalty tier, RFM
    segment or salesperson."""

    _name = "crm.lifecycle.kpi.value"
    _inherit = "crm.lifecycle.kpi.mixin"
    _auto = False
    _description = "Lifecycle Customer Value"
    _order = "predicted_clv desc, id"
    _rec_name = "partner_id"
    _kpi_indexes = ("company_id", "stage_id", "value_segment_id", "tier_id")

    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Customer", readonly=True
    )
    user_id = fields.Many2one(
        comodel_name="res.users", string="Salesperson", readonly=True
    )
    stage_id = fields.Many2one(comodel_name="crm.lifecycle.stage", readonly=True)
    stage_kind = fields.Selection(STAGE_KINDS, readonly=True)
    segment_id = fields.Many2one(
        comodel_name="crm.lifecycle.segment", string="RFM Segment", readonly=True
    )
    value_segment_id = fields.Many2one(
        comodel_name="crm.lifecycle.value.segment",
        readonly=True,
    )
    tier_id = fields.Many2one(
        comodel_name="crm.lifecycle.tier", string="Loyalty Tier", readonly=True
    )
    loyal = fields.Boolean(
        readonly=True,
        help="In a stage of kind Loyal, or in the RFM segment Champions or Loyal.",
    )
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    customer_count = fields.Integer(
        string="Customers", readonly=True, help="Number of customers."
    )
    predicted_clv = fields.Monetary(
        string="Predicted Value",
        readonly=True,
        help="Sum of the customers' predicted lifetime value (value model).",
    )
    predicted_clv_avg = fields.Monetary(
        string="Average Predicted Value",
        readonly=True,
        aggregator="avg",
        help="Average predicted lifetime value per customer.",
    )
    revenue_12m = fields.Monetary(
        string="Revenue 12 Months",
        readonly=True,
        help="Untaxed revenue of the last 12 months at the last scoring.",
    )
    lifecycle_days = fields.Integer(
        string="Average Lifecycle (days)",
        readonly=True,
        aggregator="avg",
        help="Days from the customer's first to its last purchase, averaged "
        "over the customers who bought (prospects have none).",
    )

    def _kpi_query(self):
        return SQL(
            """
            SELECT profile.id, profile.company_id, profile.partner_id,
                   partner.user_id, profile.stage_id, profile.stage_kind,
                   profile.segment_id, profile.value_segment_id,
                   profile.tier_id, %(loyal)s AS loyal,
                   company.currency_id,
                   1 AS customer_count,
                   COALESCE(profile.predicted_clv, 0) AS predicted_clv,
                   COALESCE(profile.predicted_clv, 0) AS predicted_clv_avg,
                   COALESCE(profile.revenue_12m, 0) AS revenue_12m,
                   CASE WHEN profile.first_purchase_date IS NOT NULL
                        THEN profile.lifespan_days END AS lifecycle_days
              FROM crm_lifecycle_profile profile
              JOIN res_company company ON company.id = profile.company_id
              JOIN res_partner partner ON partner.id = profile.partner_id
            """,
            loyal=loyal_condition("profile", SQL("profile.stage_kind")),
        )
