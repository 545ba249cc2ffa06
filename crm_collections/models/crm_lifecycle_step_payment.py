# One step per file, each inheriting the pipeline, by design (see
# crm_lifecycle's docs/architecture.md).
# pylint: disable=consider-merging-classes-inherited
from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.models.crm_lifecycle_scoring import (
    STEP_SEQUENCES,
    ScoringStep,
)

from ..lib import risk_rules

# Written to the profile (fields of the same names).
PAYMENT_PROFILE_COLUMNS = {
    "payment_days_late_avg": "numeric",
    "payment_days_to_pay_avg": "numeric",
    "payment_on_time_share": "numeric",
    "overdue_amount": "numeric",
    "overdue_since": "date",
    "promise_kept_rate": "numeric",
}
# Working-table only, read by the financial risk and the churn component.
PAYMENT_WORK_COLUMNS = {
    # amount paid in the last 12 months (NULL: no payment record)
    "payment_paid_12m": "numeric",
    # promises broken in the last 12 months
    "payment_broken_promises": "int4",
    # highest dunning level sent or to send in the last 90 days, as its rank
    # over the number of levels of its policy (1: the last level)
    "payment_dunning_share": "numeric",
}


class CrmLifecycleScoring(models.AbstractModel):
    """Step ``payment``: the payment behaviour of each customer, set-based.

    Over the 12 months before the scoring's day, from the payments of
    ``res.partner._collections_payment_lines_sql`` (the dunning's payment
    record, credit notes excluded): amount-weighted average days paid late
    and days to pay, share of the amount paid on time. As of the day: the
    overdue amount and the due date of the oldest overdue open customer
    invoice (``overdue_since``: a date, not a number of days, so that it
    does not change, and the profile is not rewritten, every day). From
    the promises to pay of the last 12 months: the share kept and the
    number broken; from the dunning lines sent or to send in the last
    90 days (yesterday's committed dunning: the scoring runs before it), the
    highest level reached. Customers without any of these get NULL (0 on
    the profile; no ``overdue_since``).
    """

    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _scoring_steps(self):
        return super()._scoring_steps() + [
            ScoringStep(
                "payment",
                STEP_SEQUENCES["payment"],
                columns={**PAYMENT_PROFILE_COLUMNS, **PAYMENT_WORK_COLUMNS},
            )
        ]

    @api.model
    def _scoring_flush(self):
        result = super()._scoring_flush()
        self.env["account.move.line"].flush_model(
            [
                "amount_residual",
                "date_maturity",
                "parent_state",
                "account_id",
                "company_id",
                "partner_id",
                "move_id",
            ]
        )
        self.env["account.partial.reconcile"].flush_model()
        self.env["crm.collections.promise"].flush_model(
            ["partner_id", "company_id", "state", "date"]
        )
        self.env["crm.collections.line"].flush_model(
            ["partner_id", "company_id", "state", "date", "level_id"]
        )
        self.env["crm.collections.level"].flush_model(["policy_id", "sequence"])
        return result

    @api.model
    def _scoring_select_payment(self, ctx, source):
        """A select step: the payment behaviour of the customers of
        ``source``."""
        payments = self.env["res.partner"]._collections_payment_lines_sql(
            ctx.company, ctx.date
        )
        return SQL(
            """
            WITH pay AS (
                SELECT p.partner_id,
                       SUM(p.amount) AS paid,
                       SUM(p.days_late * p.amount) / NULLIF(SUM(p.amount), 0)
                           AS late,
                       SUM(p.days_to_pay * p.amount) / NULLIF(SUM(p.amount), 0)
                           AS to_pay,
                       SUM(p.amount) FILTER (WHERE p.days_late = 0)
                           / NULLIF(SUM(p.amount), 0) AS on_time
                  FROM (%(payments)s) p
                 GROUP BY p.partner_id
            ), open_items AS (
                SELECT move.commercial_partner_id AS partner_id,
                       SUM(aml.amount_residual) AS amount,
                       MIN(aml.date_maturity) AS since
                  FROM account_move_line aml
                  JOIN account_move move ON move.id = aml.move_id
                  JOIN account_account acc ON acc.id = aml.account_id
                 WHERE aml.company_id = ANY(%(companies)s)
                   AND acc.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND aml.amount_residual > 0
                   AND aml.date_maturity < %(today)s
                   AND move.move_type = 'out_invoice'
                 GROUP BY move.commercial_partner_id
            ), promises AS (
                SELECT pr.partner_id,
                       COUNT(*) FILTER (WHERE pr.state = 'broken') AS broken,
                       COUNT(*) FILTER (WHERE pr.state = 'kept')::numeric
                           / NULLIF(COUNT(*), 0) AS kept
                  FROM crm_collections_promise pr
                 WHERE pr.company_id = ANY(%(companies)s)
                   AND pr.state IN ('kept', 'broken')
                   AND pr.date > %(promise_since)s
                   AND pr.date <= %(today)s
                 GROUP BY pr.partner_id
            ), levels AS (
                SELECT policy_id, COUNT(*) AS n
                  FROM crm_collections_level
                 GROUP BY policy_id
            ), dunning AS (
                SELECT line.partner_id,
                       MAX(level.sequence::numeric / levels.n) AS share
                  FROM crm_collections_line line
                  JOIN crm_collections_level level ON level.id = line.level_id
                  JOIN levels ON levels.policy_id = level.policy_id
                 WHERE line.company_id = ANY(%(companies)s)
                   AND line.state IN ('to_send', 'sent')
                   AND line.date > %(dunning_since)s
                   AND line.date <= %(today)s
                 GROUP BY line.partner_id
            )
            SELECT src.partner_id,
                   ROUND(pay.late, 1),
                   ROUND(pay.to_pay, 1),
                   CASE WHEN pay.paid IS NOT NULL
                        THEN ROUND(COALESCE(pay.on_time, 0), 3) END,
                   open_items.amount,
                   open_items.since,
                   ROUND(promises.kept, 3),
                   pay.paid,
                   promises.broken,
                   ROUND(dunning.share, 4)
              FROM %(source)s src
         LEFT JOIN pay ON pay.partner_id = src.partner_id
         LEFT JOIN open_items ON open_items.partner_id = src.partner_id
         LEFT JOIN promises ON promises.partner_id = src.partner_id
         LEFT JOIN dunning ON dunning.partner_id = src.partner_id
            """,
            payments=payments,
            source=source,
            today=ctx.date,
            companies=ctx.company_ids,
            promise_since=ctx.date - timedelta(days=risk_rules.PROMISE_WINDOW_DAYS),
            dunning_since=ctx.date - timedelta(days=risk_rules.DUNNING_WINDOW_DAYS),
        )
