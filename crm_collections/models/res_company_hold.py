from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_collections_hold_days_overdue = fields.Integer(
        string="Credit Hold After Days Overdue",
        default=0,
        help="A customer with a receivable more than this many days past due "
        "is put on credit hold by the daily evaluation. 0: off.",
    )
    crm_collections_hold_risk_score = fields.Integer(
        string="Credit Hold From Financial Risk",
        default=0,
        help="A customer with an overdue amount whose financial-risk score "
        "(0-100, from the nightly scoring) reaches this value is put on credit "
        "hold by the daily evaluation. 0: off.",
    )

    @api.constrains(
        "crm_collections_hold_days_overdue", "crm_collections_hold_risk_score"
    )
    def _check_crm_collections_hold_thresholds(self):
        for company in self:
            if company.crm_collections_hold_days_overdue < 0:
                raise ValidationError(
                    self.env._(
                        "The days overdue of the credit hold cannot be negative."
                    )
                )
            if not 0 <= company.crm_collections_hold_risk_score <= 100:
                raise ValidationError(
                    self.env._(
                        "The financial-risk score of the credit hold is between "
                        "0 and 100."
                    )
                )
