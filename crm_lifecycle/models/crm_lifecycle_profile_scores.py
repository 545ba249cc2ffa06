# The predicted value and churn risk of the profile, beside its stage and
# figures in crm_lifecycle_profile.py (same model, split by size).
# pylint: disable=consider-merging-classes-inherited
from markupsafe import Markup

from odoo import api, fields, models

from .crm_lifecycle_step_churn import CHURN_LEVELS

# The score fields an opt-out clears at once (the next scoring keeps them
# empty).
PROFILING_FIELDS = [
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_code",
    "segment_id",
    "value_date",
    "p_alive",
    "value_current_level",
    "value_potential_level",
    "value_segment_id",
    "value_model_id",
    "expected_purchases_30",
    "expected_purchases_90",
    "expected_purchases_365",
    "expected_order_value",
    "predicted_clv",
    "next_purchase_date",
    "churn_risk",
    "churn_level",
    "churn_level_date",
    "churn_components",
    "tier_id",
    "tier_date",
    "tier_below_since",
]


class CrmLifecycleProfile(models.Model):
    _inherit = "crm.lifecycle.profile"

    no_profiling = fields.Boolean(
        readonly=True,
        string="Profiling Objected (Last Scoring)",
        help="Technical: the customer's objection to profiling as the last "
        "scoring applied it.",
    )

    # Value (see crm.lifecycle.value.model)
    value_model_id = fields.Many2one(
        comodel_name="crm.lifecycle.value.model",
        readonly=True,
        ondelete="set null",
    )
    value_date = fields.Date(
        readonly=True,
        string="Value As Of",
        help="The value scores are computed as of this day: the date of the "
        "value model in use, or the last purchase when it is later. They change "
        "with the weekly refit and with a new purchase.",
    )
    p_alive = fields.Float(
        readonly=True,
        digits=(4, 3),
        string="Probability Alive",
        aggregator="avg",
        help="Probability that the customer still buys from you, by the value "
        "model (BG/NBD) from how often and how recently it bought.",
    )
    repeat_avg_value = fields.Monetary(
        readonly=True,
        string="Average Repeat Purchase",
        aggregator="avg",
        help="Mean untaxed spend per purchase occasion after the first one.",
    )
    expected_purchases_30 = fields.Float(
        readonly=True,
        digits=(16, 2),
        string="Expected Purchases (30 days)",
        help="Purchase occasions the model expects in the next 30 days.",
    )
    expected_purchases_90 = fields.Float(
        readonly=True,
        digits=(16, 2),
        string="Expected Purchases (90 days)",
        help="Purchase occasions the model expects in the next 90 days.",
    )
    expected_purchases_365 = fields.Float(
        readonly=True,
        digits=(16, 2),
        string="Expected Purchases (12 months)",
        help="Purchase occasions the model expects in the next 365 days.",
    )
    expected_order_value = fields.Monetary(
        readonly=True,
        aggregator="avg",
        help="Expected untaxed value of the customer's next purchases "
        "(Gamma-Gamma spend model: its own average, pulled towards the "
        "company's by how few purchases it made).",
    )
    predicted_clv = fields.Monetary(
        readonly=True,
        string="Predicted Lifetime Value",
        help="Margin the customer is expected to bring over the horizon set "
        "in the settings, discounted: expected purchases times expected order "
        "value times the margin.",
    )
    next_purchase_date = fields.Date(
        readonly=True,
        string="Expected Next Purchase",
        help="Last purchase plus the customer's expected time between "
        "purchases while it keeps buying.",
    )

    # Churn risk
    churn_risk = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="0-100: how likely the customer is lost, combining the weighted "
        "components shown in the explanation (weights in the settings).",
    )
    churn_level = fields.Selection(
        CHURN_LEVELS,
        readonly=True,
        index=True,
        string="Churn Risk Level",
        help="Low, medium or high by the thresholds of the settings.",
    )
    churn_level_date = fields.Date(
        readonly=True,
        string="Churn Level Since",
        help="The day the customer entered its churn risk level.",
    )
    churn_components = fields.Json(
        readonly=True,
        help="Technical: the components of the churn risk by code, 0-1.",
    )
    churn_explanation = fields.Html(
        compute="_compute_churn_explanation",
        sanitize=False,
        help="What makes up the churn risk, in your language.",
    )

    @api.depends("churn_components", "churn_risk")
    @api.depends_context("lang")
    def _compute_churn_explanation(self):
        Scoring = self.env["crm.lifecycle.scoring"]
        components = {c.code: c for c in Scoring._lifecycle_churn_components()}
        for profile in self:
            values = profile.churn_components or {}
            if not values:
                profile.churn_explanation = False
                continue
            weights = {
                code: profile.company_id[components[code].weight_field]
                for code in values
                if code in components
            }
            rows = Markup("").join(
                Markup(
                    "<tr><td>%s</td><td class='text-end'>%s%%</td>"
                    "<td class='text-end text-muted'>%s</td></tr>"
                )
                % (
                    components[code].label if code in components else code,
                    round(100 * (value or 0)),
                    self.env._("weight %(weight)s", weight=weights.get(code, "-")),
                )
                for code, value in sorted(
                    values.items(), key=lambda item: -(item[1] or 0)
                )
            )
            profile.churn_explanation = (
                Markup("<table class='table table-sm o_crm_lifecycle_churn'>%s</table>")
                % rows
            )

    def _lifecycle_clear_profiling(self):
        """Clear the scores of these profiles (the customer objects to
        profiling); the scoring keeps them empty."""
        self.sudo().write(dict.fromkeys(PROFILING_FIELDS, False))
