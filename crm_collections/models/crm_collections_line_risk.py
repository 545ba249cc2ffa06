# The customer's risk, churn risk and value on the dunning line, beside the
# line itself in crm_collections_line.py (same model, one concern per file).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models

from .crm_lifecycle_profile_risk import RISK_LEVELS


class CrmCollectionsLine(models.Model):
    """What the collector weighs before sending a letter: the customer's
    financial risk, churn risk and predicted lifetime value (its lifecycle
    profile in the line's company, as of the last scoring), so that a
    valuable customer in difficulty gets a call, not a letter."""

    _inherit = "crm.collections.line"

    customer_profile_id = fields.Many2one(
        comodel_name="crm.lifecycle.profile",
        string="Customer Lifecycle",
        compute="_compute_customer_profile_id",
        groups="crm_lifecycle.group_lifecycle_user",
        help="The customer's lifecycle profile in the line's company.",
    )
    customer_risk_score = fields.Integer(
        string="Financial Risk",
        compute="_compute_customer_scores",
        help="The customer's financial risk (0-100) as of the last scoring.",
    )
    customer_risk_level = fields.Selection(
        RISK_LEVELS,
        string="Financial Risk Level",
        compute="_compute_customer_scores",
    )
    customer_risk_explanation = fields.Text(
        string="Financial Risk Explanation",
        compute="_compute_customer_scores",
    )
    customer_churn_risk = fields.Integer(
        string="Churn Risk",
        compute="_compute_customer_scores",
        help="How likely the customer is lost (0-100), as of the last scoring.",
    )
    customer_churn_level = fields.Selection(
        [("low", "Low"), ("medium", "Medium"), ("high", "High")],
        string="Churn Risk Level",
        compute="_compute_customer_scores",
    )
    customer_predicted_clv = fields.Monetary(
        string="Predicted Lifetime Value",
        currency_field="currency_id",
        compute="_compute_customer_scores",
        help="The margin the customer is expected to bring, as of the last scoring.",
    )

    def _collections_customer_profiles(self):
        """``{line: profile}`` (as superuser: accountants read the lines,
        not necessarily the lifecycle profiles)."""
        profiles = (
            self.env["crm.lifecycle.profile"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.partner_id.ids),
                    ("company_id", "in", self.company_id.root_id.ids),
                ]
            )
        )
        by_key = {(p.partner_id.id, p.company_id.id): p for p in profiles}
        empty = self.env["crm.lifecycle.profile"].sudo()
        return {
            line: by_key.get((line.partner_id.id, line.company_id.root_id.id), empty)
            for line in self
        }

    @api.depends("partner_id", "company_id")
    def _compute_customer_profile_id(self):
        profiles = self._collections_customer_profiles()
        for line in self:
            line.customer_profile_id = profiles[line].id

    @api.depends("partner_id", "company_id")
    def _compute_customer_scores(self):
        profiles = self._collections_customer_profiles()
        for line in self:
            profile = profiles[line]
            line.customer_risk_score = profile.financial_risk_score
            line.customer_risk_level = profile.financial_risk_level
            line.customer_risk_explanation = profile.financial_risk_explanation
            line.customer_churn_risk = profile.churn_risk
            line.customer_churn_level = profile.churn_level
            line.customer_predicted_clv = profile.predicted_clv
