# One concern per file (financial risk); other files of this addon may
# inherit the same model.
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..lib import risk_rules

# The res.company weight field of each financial-risk component.
RISK_WEIGHT_FIELDS = {
    code: f"collections_risk_weight_{code}" for code in risk_rules.COMPONENTS
}


class ResCompany(models.Model):
    _inherit = "res.company"

    collections_risk_weight_overdue = fields.Float(
        string="Risk Weight: Overdue Amount",
        default=1.0,
        help="Weight in the financial risk of the overdue amount against the "
        "customer's usual balance (its 12-month revenue spread over its days "
        "to pay). 0 leaves it out.",
    )
    collections_risk_weight_days_overdue = fields.Float(
        string="Risk Weight: Days Overdue",
        default=1.0,
        help="Weight in the financial risk of the longest days overdue among "
        "the open invoices (90 days or more: the full component).",
    )
    collections_risk_weight_payment_habit = fields.Float(
        string="Risk Weight: Payment Habit",
        default=1.0,
        help="Weight in the financial risk of the payment habit over 12 "
        "months: average days paid late and share of the amount paid on time "
        "(credit notes excluded).",
    )
    collections_risk_weight_broken_promises = fields.Float(
        string="Risk Weight: Broken Promises",
        default=0.5,
        help="Weight in the financial risk of the promises to pay broken in "
        "the last 12 months (1 counts 50%, 2 count 75%, ...).",
    )
    collections_risk_weight_dunning = fields.Float(
        string="Risk Weight: Dunning Escalation",
        default=0.5,
        help="Weight in the financial risk of the highest dunning level "
        "reached in the last 90 days (its rank over the levels of its policy).",
    )
    collections_risk_clv_mitigation = fields.Float(
        string="Risk Mitigation by Lifetime Value",
        default=0.3,
        help="Largest share (0-1) of the financial risk that a high predicted "
        "lifetime value takes off: the share taken is this times value / "
        "(value + overdue amount).",
    )
    collections_risk_medium_threshold = fields.Integer(
        string="Financial Risk: Medium From",
        default=40,
        help="A financial risk score from this value is medium.",
    )
    collections_risk_high_threshold = fields.Integer(
        string="Financial Risk: High From",
        default=70,
        help="A financial risk score from this value is high.",
    )
    lifecycle_churn_weight_payment = fields.Float(
        string="Weight: Payment Problems",
        default=0.5,
        help="Weight in the churn risk of the customer's payment problems "
        "(medium or high financial risk before the lifetime-value mitigation, "
        "broken promises to pay, a credit hold); applies only to customers "
        "with such problems. 0 leaves it out; the default 0.5 weighs a little "
        "less than the probability of having stopped buying (0.6).",
    )

    @api.constrains(
        *RISK_WEIGHT_FIELDS.values(),
        "collections_risk_clv_mitigation",
        "collections_risk_medium_threshold",
        "collections_risk_high_threshold",
        "lifecycle_churn_weight_payment",
    )
    def _check_collections_risk_settings(self):
        for company in self:
            weights = [company[name] for name in RISK_WEIGHT_FIELDS.values()]
            if any(weight < 0 for weight in weights) or not sum(weights) > 0:
                raise ValidationError(
                    self.env._(
                        "The weights of the financial risk cannot be negative "
                        "and at least one must be positive."
                    )
                )
            if not 0 <= company.collections_risk_clv_mitigation <= 1:
                raise ValidationError(
                    self.env._(
                        "The mitigation by lifetime value is a share between 0 and 1."
                    )
                )
            if not (
                0
                <= company.collections_risk_medium_threshold
                <= company.collections_risk_high_threshold
                <= 100
            ):
                raise ValidationError(
                    self.env._(
                        "The financial risk thresholds must satisfy 0 <= medium "
                        "<= high <= 100."
                    )
                )
            if company.lifecycle_churn_weight_payment < 0:
                raise ValidationError(
                    self.env._(
                        "The churn weight of payment problems cannot be negative."
                    )
                )

    def _collections_risk_weights(self):
        """The company's :class:`~..lib.risk_rules.Weights`."""
        self.ensure_one()
        return risk_rules.Weights(
            **{code: self[name] for code, name in RISK_WEIGHT_FIELDS.items()},
            clv_mitigation=self.collections_risk_clv_mitigation,
        )
