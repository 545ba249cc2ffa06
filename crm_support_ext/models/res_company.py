from odoo import fields, models


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
