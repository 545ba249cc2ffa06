from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

LIFECYCLE_THRESHOLD_FIELDS = [
    "lifecycle_new_days",
    "lifecycle_loyal_min_purchases",
    "lifecycle_loyal_min_tenure_days",
    "lifecycle_at_risk_factor",
    "lifecycle_at_risk_min_purchases",
    "lifecycle_at_risk_default_days",
    "lifecycle_churn_days",
]


class ResCompany(models.Model):
    _inherit = "res.company"

    lifecycle_new_days = fields.Integer(
        string="New Customer Window (days)",
        default=90,
        help="A customer is new while its first purchase is at most this old.",
    )
    lifecycle_loyal_min_purchases = fields.Integer(
        string="Loyal: Purchases in 12 Months",
        default=4,
        help="Purchase occasions in the last 12 months a loyal customer needs.",
    )
    lifecycle_loyal_min_tenure_days = fields.Integer(
        string="Loyal: Minimum Tenure (days)",
        default=365,
        help="Days since the first purchase a loyal customer needs.",
    )
    lifecycle_at_risk_factor = fields.Float(
        string="At Risk: Interval Factor",
        default=2.0,
        help="A customer is at risk when it has not bought for this many times "
        "its own average interval between purchases.",
    )
    lifecycle_at_risk_min_purchases = fields.Integer(
        string="At Risk: Purchases for Own Interval",
        default=3,
        help="Below this many purchase occasions the average interval is not "
        "trusted and the default delay applies.",
    )
    lifecycle_at_risk_default_days = fields.Integer(
        string="At Risk: Default Delay (days)",
        default=120,
        help="Days without purchase after which a customer with few purchases "
        "is at risk.",
    )
    lifecycle_churn_days = fields.Integer(
        string="Churned After (days)",
        default=365,
        help="Days without purchase after which a customer is churned.",
    )

    @api.constrains(*LIFECYCLE_THRESHOLD_FIELDS)
    def _check_lifecycle_thresholds(self):
        for company in self:
            for fname in LIFECYCLE_THRESHOLD_FIELDS:
                if company[fname] <= 0:
                    raise ValidationError(
                        _(
                            "%(setting)s must be a positive number.",
                            setting=self._fields[fname].get_description(self.env)[
                                "string"
                            ],
                        )
                    )
            if company.lifecycle_at_risk_factor < 1:
                raise ValidationError(
                    _(
                        "The at-risk interval factor must be at least 1: a "
                        "customer cannot be late before its usual interval."
                    )
                )
            if (
                company.lifecycle_loyal_min_purchases < 2
                or company.lifecycle_at_risk_min_purchases < 2
            ):
                raise ValidationError(
                    _(
                        "Loyalty and the customer's own interval need at least "
                        "2 purchases."
                    )
                )
            if company.lifecycle_new_days >= company.lifecycle_churn_days:
                raise ValidationError(
                    _(
                        "The new customer window (%(new)s days) must be shorter "
                        "than the churn delay (%(churn)s days).",
                        new=company.lifecycle_new_days,
                        churn=company.lifecycle_churn_days,
                    )
                )
            if company.lifecycle_at_risk_default_days >= company.lifecycle_churn_days:
                raise ValidationError(
                    _(
                        "The at-risk delay (%(risk)s days) must be shorter than "
                        "the churn delay (%(churn)s days).",
                        risk=company.lifecycle_at_risk_default_days,
                        churn=company.lifecycle_churn_days,
                    )
                )
