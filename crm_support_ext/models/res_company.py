from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    support_boost_tier_id = fields.Many2one(
        comodel_name="crm.lifecycle.tier",
        string="Priority Boost: Minimum Tier",
        help="Requests of customers in this loyalty tier or a higher one get "
        "the priority boost. Empty: the tier gives no boost.",
    )
    support_boost_min_clv = fields.Float(
        string="Priority Boost: Minimum Predicted Value",
        help="Requests of customers whose predicted lifetime value reaches "
        "this amount get the priority boost. 0: the value gives no boost.",
    )
    support_boost_levels = fields.Integer(
        string="Priority Boost: Levels",
        default=1,
        help="By how many levels (Low, Medium, High, Very High) the priority "
        "of a boosted request is raised, before the SLA policies are matched.",
    )
    lifecycle_churn_weight_support_complaints = fields.Float(
        string="Weight: Open Complaints",
        default=1.0,
        help="Weight of the customer's open complaints in the churn risk "
        "(1 open complaint counts 50%, 2 count 75%, ...). 0 leaves it out.",
    )
    lifecycle_churn_weight_support_breaches = fields.Float(
        string="Weight: SLA Breaches",
        default=0.5,
        help="Weight of the SLA breaches on the customer's requests of the "
        "last 12 months in the churn risk. 0 leaves it out.",
    )
    lifecycle_churn_weight_support_ratings = fields.Float(
        string="Weight: Poor Ratings",
        default=1.0,
        help="Weight of the poor ratings (1 or 2 out of 5) the customer gave "
        "in the last 12 months in the churn risk. 0 leaves it out.",
    )

    @api.constrains(
        "support_boost_levels",
        "support_boost_min_clv",
        "lifecycle_churn_weight_support_complaints",
        "lifecycle_churn_weight_support_breaches",
        "lifecycle_churn_weight_support_ratings",
    )
    def _check_support_settings(self):
        for company in self:
            if not 0 <= company.support_boost_levels <= 3:
                raise ValidationError(
                    self.env._("The priority boost runs from 0 to 3 levels.")
                )
            if company.support_boost_min_clv < 0:
                raise ValidationError(
                    self.env._("The minimum predicted value cannot be negative.")
                )
            if (
                min(
                    company.lifecycle_churn_weight_support_complaints,
                    company.lifecycle_churn_weight_support_breaches,
                    company.lifecycle_churn_weight_support_ratings,
                )
                < 0
            ):
                raise ValidationError(
                    self.env._("Churn risk weights cannot be negative.")
                )
