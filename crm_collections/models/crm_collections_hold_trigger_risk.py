# The financial-risk trigger of the credit holds, beside the other triggers
# (the same model, one concern per file).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, models
from odoo.tools import format_amount


class CrmCollectionsHold(models.Model):
    """Credit hold when the customer's financial-risk score (the scoring
    step ``financial_risk``, committed by last night's scoring) reaches the
    company's ``crm_collections_hold_risk_score`` (0: off)."""

    _inherit = "crm.collections.hold"

    @api.model
    def _collections_hold_triggers(self):
        return {
            **super()._collections_hold_triggers(),
            "risk": "_collections_hold_trigger_risk",
        }

    @api.model
    def _collections_hold_trigger_risk(self, company, today):
        """Customers whose financial-risk score in the company's profile
        (profiles are per root company) is at least the threshold and who
        still owe an overdue amount: ``{partner_id: (details, amount)}``."""
        threshold = company.crm_collections_hold_risk_score
        if threshold <= 0:
            return {}
        self.env["crm.lifecycle.profile"].flush_model(
            ["financial_risk_score", "overdue_amount"]
        )
        self.env.cr.execute(
            """
            SELECT partner_id, financial_risk_score, overdue_amount
              FROM crm_lifecycle_profile
             WHERE company_id = %s
               AND financial_risk_score >= %s
               AND overdue_amount > 0
            """,
            [company.root_id.id, threshold],
        )
        return {
            partner_id: (
                self.env._(
                    "Financial risk %(score)s/100 (threshold %(threshold)s), "
                    "%(amount)s overdue.",
                    score=score,
                    threshold=threshold,
                    amount=format_amount(self.env, amount, company.currency_id),
                ),
                float(amount),
            )
            for partner_id, score, amount in self.env.cr.fetchall()
        }

    def _collections_hold_cleared_risk(self, company, today, partner_ids):
        """Lifted when nothing is overdue any more (paid, at once on the
        payment's reconciliation), or when the score fell under the
        threshold (after the next scoring)."""
        paid = self._collections_hold_cleared_days_overdue(company, today, partner_ids)
        still = self._collections_hold_trigger_risk(company, today)
        return paid | {pid for pid in partner_ids if pid not in still}
