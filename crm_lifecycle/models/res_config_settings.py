from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lifecycle_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Lifecycle Currency"
    )

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
    lifecycle_repurchase_lead_days = fields.Integer(
        related="company_id.lifecycle_repurchase_lead_days", readonly=False
    )
    lifecycle_clv_months = fields.Integer(
        related="company_id.lifecycle_clv_months", readonly=False
    )
    lifecycle_clv_discount = fields.Float(
        related="company_id.lifecycle_clv_discount", readonly=False
    )
    lifecycle_clv_margin = fields.Float(
        related="company_id.lifecycle_clv_margin", readonly=False
    )
    lifecycle_value_bounds = fields.Selection(
        related="company_id.lifecycle_value_bounds", readonly=False
    )
    lifecycle_value_low_pct = fields.Float(
        related="company_id.lifecycle_value_low_pct", readonly=False
    )
    lifecycle_value_high_pct = fields.Float(
        related="company_id.lifecycle_value_high_pct", readonly=False
    )
    lifecycle_value_current_low = fields.Monetary(
        related="company_id.lifecycle_value_current_low",
        readonly=False,
        currency_field="lifecycle_currency_id",
    )
    lifecycle_value_current_high = fields.Monetary(
        related="company_id.lifecycle_value_current_high",
        readonly=False,
        currency_field="lifecycle_currency_id",
    )
    lifecycle_value_potential_low = fields.Monetary(
        related="company_id.lifecycle_value_potential_low",
        readonly=False,
        currency_field="lifecycle_currency_id",
    )
    lifecycle_value_potential_high = fields.Monetary(
        related="company_id.lifecycle_value_potential_high",
        readonly=False,
        currency_field="lifecycle_currency_id",
    )
    lifecycle_churn_weight_alive = fields.Float(
        related="company_id.lifecycle_churn_weight_alive", readonly=False
    )
    lifecycle_churn_weight_overdue = fields.Float(
        related="company_id.lifecycle_churn_weight_overdue", readonly=False
    )
    lifecycle_churn_medium_threshold = fields.Integer(
        related="company_id.lifecycle_churn_medium_threshold", readonly=False
    )
    lifecycle_churn_high_threshold = fields.Integer(
        related="company_id.lifecycle_churn_high_threshold", readonly=False
    )
    lifecycle_tier_grace_days = fields.Integer(
        related="company_id.lifecycle_tier_grace_days", readonly=False
    )
