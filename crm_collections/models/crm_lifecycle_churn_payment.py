# The churn-risk component of crm_collections, beside its scoring steps (the
# same pipeline model, one concern per file).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.models.crm_lifecycle_step_churn import ChurnComponent


class CrmLifecycleScoring(models.AbstractModel):
    """Payment problems in the churn risk: the component ``payment_problems``
    (weight ``res.company.lifecycle_churn_weight_payment``) is the largest
    of the terms of :meth:`_collections_churn_payment_terms`, and applies
    only to customers with a payment problem (NULL otherwise: their churn
    risk is unchanged). The churn step (sequence 80) runs after the
    financial risk (60) and reads its working columns."""

    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _collections_churn_payment_terms(self, ctx, row):
        """The terms of the payment-problems component: SQL numbers in
        [0, 1] on the working row ``row``. Extend to add one (e.g. a credit
        hold), together with the working columns it reads
        (:meth:`_collections_churn_payment_reads`): ``return
        super()._collections_churn_payment_terms(ctx, row) + [SQL(...)]``.

        - the financial risk before the lifetime-value mitigation (payment
          problems foretell churn whatever the customer is worth): 1 from
          the company's high threshold, 0.5 from its medium one;
        - the promises to pay broken in 12 months: 1 counts 0.5, 2 count
          0.75...;
        - an active credit hold of the customer in the company or one of its
          branches: 1 (read from ``crm_collections_hold``, whose partial
          unique index on the active holds serves the lookup).
        """
        company = ctx.company
        return [
            SQL(
                """CASE WHEN %(row)s.financial_risk_raw >= %(high)s THEN 1
                        WHEN %(row)s.financial_risk_raw >= %(medium)s THEN 0.5
                        ELSE 0 END""",
                row=row,
                high=company.collections_risk_high_threshold,
                medium=company.collections_risk_medium_threshold,
            ),
            SQL(
                "1 - POWER(0.5::numeric, COALESCE(%s.payment_broken_promises, 0))",
                row,
            ),
            SQL(
                """CASE WHEN EXISTS (
                        SELECT 1 FROM crm_collections_hold hold
                         WHERE hold.partner_id = %(row)s.partner_id
                           AND hold.company_id = ANY(%(companies)s)
                           AND hold.state = 'active') THEN 1 ELSE 0 END""",
                row=row,
                companies=ctx.company_ids,
            ),
        ]

    @api.model
    def _collections_churn_payment_reads(self):
        """The working-table columns the terms of
        :meth:`_collections_churn_payment_terms` read."""
        return ("financial_risk_raw", "payment_broken_promises")

    @api.model
    def _collections_churn_payment_sql(self, ctx, row):
        """The component: the largest term, NULL (not applicable) when 0."""
        terms = self._collections_churn_payment_terms(ctx, row)
        return SQL(
            "NULLIF(GREATEST(%s), 0)",
            SQL(", ").join(SQL("(%s)", term) for term in terms),
        )

    @api.model
    def _lifecycle_churn_components(self):
        return super()._lifecycle_churn_components() + [
            ChurnComponent(
                "payment_problems",
                self.env._(
                    "Payment problems (financial risk, broken promises, credit hold)"
                ),
                "lifecycle_churn_weight_payment",
                self._collections_churn_payment_sql,
                reads=tuple(self._collections_churn_payment_reads()),
            )
        ]

    @api.model
    def _scoring_flush(self):
        result = super()._scoring_flush()
        self.env["crm.collections.hold"].flush_model(
            ["partner_id", "company_id", "state"]
        )
        return result
