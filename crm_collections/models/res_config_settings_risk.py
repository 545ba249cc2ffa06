# One concern per file (financial risk); other files of this addon may
# inherit the same model.
# pylint: disable=consider-merging-classes-inherited
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collections_risk_weight_overdue = fields.Float(
        related="company_id.collections_risk_weight_overdue", readonly=False
    )
    collections_risk_weight_days_overdue = fields.Float(
        related="company_id.collections_risk_weight_days_overdue", readonly=False
    )
    collections_risk_weight_payment_habit = fields.Float(
        related="company_id.collections_risk_weight_payment_habit", readonly=False
    )
    collections_risk_weight_broken_promises = fields.Float(
        related="company_id.collections_risk_weight_broken_promises", readonly=False
    )
    collections_risk_weight_dunning = fields.Float(
        related="company_id.collections_risk_weight_dunning", readonly=False
    )
    collections_risk_clv_mitigation = fields.Float(
        related="company_id.collections_risk_clv_mitigation", readonly=False
    )
    collections_risk_medium_threshold = fields.Integer(
        related="company_id.collections_risk_medium_threshold", readonly=False
    )
    collections_risk_high_threshold = fields.Integer(
        related="company_id.collections_risk_high_threshold", readonly=False
    )
    lifecycle_churn_weight_payment = fields.Float(
        related="company_id.lifecycle_churn_weight_payment", readonly=False
    )
