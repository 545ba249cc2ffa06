from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    support_boost_tier_id = fields.Many2one(
        related="company_id.support_boost_tier_id", readonly=False
    )
    support_boost_min_clv = fields.Float(
        related="company_id.support_boost_min_clv", readonly=False
    )
    support_boost_levels = fields.Integer(
        related="company_id.support_boost_levels", readonly=False
    )
    lifecycle_churn_weight_support_complaints = fields.Float(
        related="company_id.lifecycle_churn_weight_support_complaints",
        readonly=False,
    )
    lifecycle_churn_weight_support_breaches = fields.Float(
        related="company_id.lifecycle_churn_weight_support_breaches", readonly=False
    )
    lifecycle_churn_weight_support_ratings = fields.Float(
        related="company_id.lifecycle_churn_weight_support_ratings", readonly=False
    )
