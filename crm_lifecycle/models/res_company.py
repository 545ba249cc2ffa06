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

    # Value model and value segments
    lifecycle_clv_months = fields.Integer(
        string="Lifetime Value Horizon (months)",
        default=36,
        help="The predicted lifetime value sums the margin expected over this "
        "many months.",
    )
    lifecycle_clv_discount = fields.Float(
        string="Annual Discount Rate (%)",
        default=10.0,
        help="Future margin is discounted by this rate per year.",
    )
    lifecycle_clv_margin = fields.Float(
        string="Margin (%)",
        default=100.0,
        help="Share of the revenue counted as value; 100 counts revenue.",
    )
    lifecycle_value_bounds = fields.Selection(
        [("percentile", "Percentiles"), ("amount", "Amounts")],
        string="Value Level Boundaries",
        default="percentile",
        required=True,
        help="Percentiles: levels split the customers by rank (terciles by "
        "default), recomputed with each refit. Amounts: fixed amounts in "
        "company currency.",
    )
    lifecycle_value_low_pct = fields.Float(
        string="Medium From (percentile)", default=100.0 / 3
    )
    lifecycle_value_high_pct = fields.Float(
        string="High From (percentile)", default=200.0 / 3
    )
    lifecycle_value_current_low = fields.Monetary(
        string="Current Value: Medium From",
        currency_field="currency_id",
        help="12-month revenue from which the current value is medium.",
    )
    lifecycle_value_current_high = fields.Monetary(
        string="Current Value: High From",
        currency_field="currency_id",
        help="12-month revenue from which the current value is high.",
    )
    lifecycle_value_potential_low = fields.Monetary(
        string="Potential Value: Medium From",
        currency_field="currency_id",
        help="Predicted lifetime value from which the potential is medium.",
    )
    lifecycle_value_potential_high = fields.Monetary(
        string="Potential Value: High From",
        currency_field="currency_id",
        help="Predicted lifetime value from which the potential is high.",
    )

    # Churn risk
    lifecycle_churn_weight_alive = fields.Float(
        string="Weight: Probability Stopped",
        default=0.6,
        help="Weight of 1 - probability alive in the churn risk (0 leaves it out).",
    )
    lifecycle_churn_weight_overdue = fields.Float(
        string="Weight: Overdue Against Own Rhythm",
        default=0.4,
        help="Weight of the time since the last purchase against the "
        "customer's usual interval (0 leaves it out).",
    )
    lifecycle_churn_medium_threshold = fields.Integer(
        string="Churn Risk Medium From",
        default=40,
        help="Churn risk (0-100) from which the level is medium.",
    )
    lifecycle_churn_high_threshold = fields.Integer(
        string="Churn Risk High From",
        default=70,
        help="Churn risk (0-100) from which the level is high.",
    )
    lifecycle_repurchase_lead_days = fields.Integer(
        string="Repurchase Offer Lead (Days)",
        default=14,
        help="Days before the expected next purchase or the end of the usual "
        "ownership period when the repurchase offer is due.",
    )

    # Loyalty tiers
    lifecycle_tier_grace_days = fields.Integer(
        string="Tier Grace Period (days)",
        default=90,
        help="A customer who no longer meets its loyalty tier's thresholds "
        "keeps its tier this many days before it is demoted (0: at once). "
        "Promotions are immediate. The root company's setting applies.",
    )

    @api.constrains("lifecycle_tier_grace_days")
    def _check_lifecycle_tier_grace_days(self):
        for company in self:
            if company.lifecycle_tier_grace_days < 0:
                raise ValidationError(
                    _("The tier grace period cannot be negative (0: demote at once).")
                )

    @api.constrains(
        "lifecycle_clv_months",
        "lifecycle_clv_discount",
        "lifecycle_clv_margin",
        "lifecycle_value_low_pct",
        "lifecycle_value_high_pct",
        "lifecycle_value_current_low",
        "lifecycle_value_current_high",
        "lifecycle_value_potential_low",
        "lifecycle_value_potential_high",
        "lifecycle_churn_weight_alive",
        "lifecycle_churn_weight_overdue",
        "lifecycle_churn_medium_threshold",
        "lifecycle_churn_high_threshold",
    )
    def _check_lifecycle_value_settings(self):
        for company in self:
            if not 1 <= company.lifecycle_clv_months <= 600:
                raise ValidationError(
                    _("The lifetime value horizon runs from 1 to 600 months.")
                )
            if not 0 <= company.lifecycle_clv_discount < 100:
                raise ValidationError(
                    _("The annual discount rate must be at least 0% and below 100%.")
                )
            if not 0 < company.lifecycle_clv_margin <= 100:
                raise ValidationError(
                    _("The margin must be above 0% and at most 100%.")
                )
            if not (
                0
                < company.lifecycle_value_low_pct
                < company.lifecycle_value_high_pct
                < 100
            ):
                raise ValidationError(
                    _(
                        "The value level percentiles must rise from medium to "
                        "high, between 0 and 100."
                    )
                )
            for low, high in (
                ("lifecycle_value_current_low", "lifecycle_value_current_high"),
                ("lifecycle_value_potential_low", "lifecycle_value_potential_high"),
            ):
                if company[low] < 0 or company[high] < company[low]:
                    raise ValidationError(
                        _(
                            "The value level amounts must be positive and the "
                            "high level must start at or above the medium level."
                        )
                    )
            weights = (
                company.lifecycle_churn_weight_alive,
                company.lifecycle_churn_weight_overdue,
            )
            if min(weights) < 0:
                raise ValidationError(_("Churn risk weights cannot be negative."))
            if not (
                0
                < company.lifecycle_churn_medium_threshold
                < company.lifecycle_churn_high_threshold
                <= 100
            ):
                raise ValidationError(
                    _(
                        "The churn risk thresholds must rise from medium to high, "
                        "between 1 and 100."
                    )
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
