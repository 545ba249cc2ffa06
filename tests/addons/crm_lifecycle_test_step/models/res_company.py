from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    lifecycle_churn_weight_no_deal = fields.Float(
        string="Weight: No Open Opportunity",
        default=0.0,
        help="Weight of having no open opportunity in the churn risk.",
    )
