from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lifecycle_new_days = fields.Integer(
        related="company_id.lifecycle_new_days", readonly=False
    )
    lifecycle_loyal_min_purchases = fields.Integer(
        related="company_id.lifecycle_loyal_min_purchases", readonly=False
    )
    lifecycle_loyal_min_tenure_days = fields.Integer(
        related="company_id.lifecycle_loyal_min_tenure_days", readonly=False
    )
    lifecycle_at_risk_factor = fields.Float(
        related="company_id.lifecycle_at_risk_factor", readonly=False
    )
    lifecycle_at_risk_min_purchases = fields.Integer(
        related="company_id.lifecycle_at_risk_min_purchases", readonly=False
    )
    lifecycle_at_risk_default_days = fields.Integer(
        related="company_id.lifecycle_at_risk_default_days", readonly=False
    )
    lifecycle_churn_days = fields.Integer(
        related="company_id.lifecycle_churn_days", readonly=False
    )
