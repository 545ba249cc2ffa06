from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_collections_hold_days_overdue = fields.Integer(
        related="company_id.crm_collections_hold_days_overdue", readonly=False
    )
    crm_collections_hold_risk_score = fields.Integer(
        related="company_id.crm_collections_hold_risk_score", readonly=False
    )
