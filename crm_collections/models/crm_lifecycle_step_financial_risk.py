# One step per file, each inheriting the pipeline, by design (see
# crm_lifecycle's docs/architecture.md).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.models.crm_lifecycle_scoring import (
    STEP_SEQUENCES,
    ScoringStep,
)

from ..lib import risk_rules
from .res_company_risk import RISK_WEIGHT_FIELDS

# Decided per batch in Python: the mitigation needs the predicted lifetime
# value, itself decided in the value step's batch part.
RISK_PYTHON_COLUMNS = {
    "financial_risk_score": "int4",
    "financial_risk_level": "varchar",
}


class CrmLifecycleScoring(models.AbstractModel):
    """Step ``financial_risk``: a score 0-100 per customer, its level (low,
    medium, high) and its components, by the rules of
    :mod:`..lib.risk_rules`.

    The components and the score before mitigation (``financial_risk_raw``,
    a working column the churn component reads) are computed set-based in
    the select (the SQL twin of :func:`~..lib.risk_rules.components` and
    :func:`~..lib.risk_rules.raw_score`); the batch part lowers the score by
    the predicted lifetime value (:func:`~..lib.risk_rules.mitigated_score`)
    and sets the level. Level changes are recorded in
    ``crm.collections.risk.history``. Customers without a payment in 12
    months, an overdue invoice, a broken promise or a dunning escalation get
    no score.
    """

    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _scoring_steps(self):
        return super()._scoring_steps() + [
            ScoringStep(
                "financial_risk",
                STEP_SEQUENCES["financial_risk"],
                columns={
                    "financial_risk_raw": "int4",
                    "financial_risk_components": "jsonb",
                    **RISK_PYTHON_COLUMNS,
                },
                python_columns=tuple(RISK_PYTHON_COLUMNS),
                reads=(
                    "revenue_12m",
                    "payment_days_late_avg",
                    "payment_days_to_pay_avg",
                    "payment_on_time_share",
                    "overdue_amount",
                    "overdue_since",
                    "payment_paid_12m",
                    "payment_broken_promises",
                    "payment_dunning_share",
                    "predicted_clv",
                ),
            )
        ]

    # ------------------------------------------------------------
    # CONFIGURATION
    # ------------------------------------------------------------

    @api.model
    def _collections_risk_config(self, ctx):
        """``(weights, medium, high)`` of the scoring's company, read once
        per scoring."""
        config = ctx.extra.get("risk_config")
        if config is None:
            company = ctx.company
            config = ctx.extra["risk_config"] = (
                company._collections_risk_weights(),
                company.collections_risk_medium_threshold,
                company.collections_risk_high_threshold,
            )
        return config

    @api.model
    def _collections_risk_key(self, ctx):
        """What the risk depends on besides the working row and the stored
        lifetime value: the weights, the mitigation and the thresholds, and
        the rules' constants."""
        weights, medium, high = self._collections_risk_config(ctx)
        constants = (
            risk_rules.DAYS_OVERDUE_BUCKETS,
            risk_rules.DAYS_OVERDUE_OVER,
            risk_rules.DAYS_LATE_FULL,
            risk_rules.MIN_DAYS_TO_PAY,
            risk_rules.USUAL_BALANCE_MULTIPLE,
        )
        return repr((weights, medium, high, constants))

    # ------------------------------------------------------------
    # SELECT: COMPONENTS AND SCORE BEFORE MITIGATION
    # ------------------------------------------------------------

    @api.model
    def _collections_risk_component_sql(self, ctx, row):
        """``{code: SQL}`` of the components on the working row ``row`` as
        of the scoring's day: the SQL twin of
        :func:`~..lib.risk_rules.components`."""
        usual = self._collections_usual_balance_sql(row)
        return {
            "overdue": SQL(
                """CASE WHEN COALESCE(%(row)s.overdue_amount, 0) <= 0 THEN 0
                        WHEN %(usual)s <= 0 THEN 1
                        ELSE ROUND(LEAST(1, %(row)s.overdue_amount
                                            / (%(multiple)s * %(usual)s)), 2)
                   END""",
                row=row,
                usual=usual,
                multiple=risk_rules.USUAL_BALANCE_MULTIPLE,
            ),
            "days_overdue": self._collections_days_overdue_sql(
                SQL("(%s::date - %s.overdue_since)", ctx.date, row)
            ),
            "payment_habit": SQL(
                """CASE WHEN %(row)s.payment_paid_12m IS NOT NULL
                        THEN ROUND(0.5 * LEAST(1, GREATEST(0,
                                 COALESCE(%(row)s.payment_days_late_avg, 0))
                                 / %(full)s)
                             + 0.5 * (1 - COALESCE(%(row)s.payment_on_time_share,
                                                   0)), 2)
                   END""",
                row=row,
                full=risk_rules.DAYS_LATE_FULL,
            ),
            "broken_promises": SQL(
                "ROUND(1 - POWER(0.5::numeric, "
                "GREATEST(0, COALESCE(%s.payment_broken_promises, 0))), 2)",
                row,
            ),
            "dunning": SQL(
                "ROUND(LEAST(1, GREATEST(0, "
                "COALESCE(%s.payment_dunning_share, 0))), 2)",
                row,
            ),
        }

    @api.model
    def _collections_days_overdue_sql(self, days):
        """SQL twin of :func:`~..lib.risk_rules.days_overdue_component` on
        the SQL expression ``days`` (NULL: nothing overdue, 0)."""
        whens = SQL(" ").join(
            SQL("WHEN %s <= %s THEN %s", days, last, value)
            for _key, last, value in risk_rules.DAYS_OVERDUE_BUCKETS
        )
        return SQL(
            "CASE WHEN %s IS NULL THEN 0 %s ELSE %s END",
            days,
            whens,
            risk_rules.DAYS_OVERDUE_OVER[2],
        )

    @api.model
    def _collections_usual_balance_sql(self, row):
        """SQL twin of :func:`~..lib.risk_rules.usual_balance`."""
        return SQL(
            "(COALESCE(%(row)s.revenue_12m, 0) * GREATEST(COALESCE("
            "%(row)s.payment_days_to_pay_avg, 0), %(min)s) / 365)",
            row=row,
            min=risk_rules.MIN_DAYS_TO_PAY,
        )

    @api.model
    def _collections_risk_scored_sql(self, row):
        """Whether the customer of ``row`` gets a financial risk: a payment
        in 12 months, an overdue invoice, a broken promise or a dunning
        escalation."""
        return SQL(
            """(%(row)s.payment_paid_12m IS NOT NULL
                OR COALESCE(%(row)s.overdue_amount, 0) > 0
                OR COALESCE(%(row)s.payment_broken_promises, 0) > 0
                OR COALESCE(%(row)s.payment_dunning_share, 0) > 0)""",
            row=row,
        )

    @api.model
    def _scoring_select_financial_risk(self, ctx, source):
        """A select step: per customer of ``source`` the score before
        mitigation and the components (with the figures the explanation
        needs)."""
        weights, _medium, _high = self._collections_risk_config(ctx)
        expressions = self._collections_risk_component_sql(ctx, SQL("s"))
        used = [code for code in risk_rules.COMPONENTS if weights.of(code) > 0]
        values = SQL(", ").join(
            SQL("(%s)::numeric AS %s", expressions[code], SQL.identifier(code))
            for code in used
        )
        weighted = SQL(" + ").join(
            SQL("%s * COALESCE(c.%s, 0)", weights.of(code), SQL.identifier(code))
            for code in used
        )
        total = SQL(" + ").join(
            SQL(
                "CASE WHEN c.%s IS NULL THEN 0 ELSE %s END",
                SQL.identifier(code),
                weights.of(code),
            )
            for code in used
        )
        components = SQL(", ").join(
            SQL("%s::text, risk.%s", code, SQL.identifier(code)) for code in used
        )
        return SQL(
            """
            WITH c AS MATERIALIZED (
                SELECT s.partner_id, %(values)s,
                       ROUND(%(usual)s, 2) AS usual_balance,
                       NULLIF(s.payment_broken_promises, 0) AS broken
                  FROM %(source)s s
                 WHERE %(scored)s
            ), risk AS MATERIALIZED (
                SELECT c.*,
                       ROUND(100 * (%(weighted)s) / NULLIF(%(total)s, 0))::int4
                           AS raw
                  FROM c
            )
            SELECT risk.partner_id, risk.raw,
                   CASE WHEN risk.raw IS NOT NULL THEN
                   jsonb_strip_nulls(jsonb_build_object(
                       %(components)s, 'raw', risk.raw,
                       'usual_balance', risk.usual_balance, 'broken', risk.broken))
                   END
              FROM risk
            """,
            values=values,
            usual=self._collections_usual_balance_sql(SQL("s")),
            source=source,
            scored=self._collections_risk_scored_sql(SQL("s")),
            weighted=weighted,
            total=total,
            components=components,
        )

    # ------------------------------------------------------------
    # TO-DO ROWS
    # ------------------------------------------------------------

    @api.model
    def _collections_risk_score_sql(self, ctx, row, clv):
        """SQL twin of :func:`~..lib.risk_rules.mitigated_score` on the
        working row ``row`` with the lifetime value ``clv``."""
        weights, _medium, _high = self._collections_risk_config(ctx)
        points = SQL(
            """(CASE WHEN COALESCE(%(clv)s, 0) <= 0 THEN 0
                     ELSE FLOOR(100 * %(mitigation)s * %(clv)s
                                / (%(clv)s + GREATEST(COALESCE(%(row)s.overdue_amount,
                                                               0), 0))
                                + 0.5) END)::int4""",
            clv=clv,
            mitigation=weights.clv_mitigation,
            row=row,
        )
        return SQL("((%s.financial_risk_raw * (100 - %s) + 50) / 100)", row, points)

    @api.model
    def _scoring_keep_financial_risk(self, ctx):
        """Every customer when the weights, the mitigation or the thresholds
        changed since the last run; otherwise those whose stored score or
        level differs from today's by the stored lifetime value (a customer
        whose value changes is scored for that anyway)."""
        ctx.step_keys["financial_risk"] = self._collections_risk_key(ctx)
        if (
            ctx.previous_step_keys.get("financial_risk")
            != ctx.step_keys["financial_risk"]
        ):
            return SQL("TRUE")
        _weights, medium, high = self._collections_risk_config(ctx)
        score = self._collections_risk_score_sql(ctx, SQL("w"), SQL("p.predicted_clv"))
        return SQL(
            """(p.financial_risk_score IS DISTINCT FROM %(score)s
                OR p.financial_risk_level IS DISTINCT FROM
                   CASE WHEN %(score)s >= %(high)s THEN 'high'
                        WHEN %(score)s >= %(medium)s THEN 'medium'
                        WHEN %(score)s IS NOT NULL THEN 'low' END)""",
            score=score,
            high=high,
            medium=medium,
        )

    # ------------------------------------------------------------
    # BATCH PART
    # ------------------------------------------------------------

    @api.model
    def _scoring_batch_financial_risk(self, ctx, batch):
        """The final score and level of each customer of the batch; the
        level changes ``{partner_id: (old, new, score)}`` under
        ``batch.decisions["financial_risk"]``."""
        weights, medium, high = self._collections_risk_config(ctx)
        clv = batch.python_values.get("predicted_clv", {})
        scores, levels, changes = {}, {}, {}
        empty = {}
        for partner_id in batch.partner_ids:
            vals = batch.values.get(partner_id, empty)
            score = risk_rules.mitigated_score(
                vals.get("financial_risk_raw"),
                vals.get("overdue_amount"),
                clv.get(partner_id),
                weights.clv_mitigation,
            )
            new = risk_rules.level(score, medium, high)
            scores[partner_id] = score
            levels[partner_id] = new
            old = batch.current.get(partner_id, empty).get("financial_risk_level")
            if new != old:
                changes[partner_id] = (old, new, score)
        batch.python_values["financial_risk_score"] = scores
        batch.python_values["financial_risk_level"] = levels
        batch.decisions["financial_risk"] = changes

    @api.model
    def _scoring_after_write_financial_risk(self, ctx, batch):
        """Record the batch's level changes in the risk history, in one
        statement."""
        History = self.env["crm.collections.risk.history"].sudo()
        changes = {
            partner_id: {"old_level": old, "new_level": new, "score": score}
            for partner_id, (old, new, score) in batch.decisions.get(
                "financial_risk", {}
            ).items()
        }
        History._collections_create_history(
            History._lifecycle_batch_rows(ctx, batch, changes)
        )

    @api.model
    def _scoring_flush(self):
        result = super()._scoring_flush()
        self.env["res.company"].flush_model(
            [
                *RISK_WEIGHT_FIELDS.values(),
                "collections_risk_clv_mitigation",
                "collections_risk_medium_threshold",
                "collections_risk_high_threshold",
            ]
        )
        return result
