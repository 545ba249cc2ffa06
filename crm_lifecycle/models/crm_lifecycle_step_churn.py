# One step per file, each inheriting the pipeline, by design (see
# docs/architecture.md): a step is found, read and replaced on its own.
# pylint: disable=consider-merging-classes-inherited
from collections.abc import Callable
from dataclasses import dataclass

from odoo import api, models
from odoo.tools import SQL

from .crm_lifecycle_scoring import STEP_SEQUENCES, ScoringStep

CHURN_LEVELS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]


@dataclass(frozen=True)
class ChurnComponent:
    """One component of the churn risk.

    :param code: stable code, stored in the profile's explanation
    :param label: what it measures, in the reader's language
    :param weight_field: the ``res.company`` field holding its weight (0
        leaves it out)
    :param expression: ``expression(ctx, row)`` returns SQL of a number in
        [0, 1] (or NULL: not applicable) on the working row ``row`` (an SQL
        alias holding the columns of the earlier steps)
    :param reads: the working-table columns the expression reads
    """

    code: str
    label: str
    weight_field: str
    expression: Callable
    reads: tuple = ()


class CrmLifecycleScoring(models.AbstractModel):
    """Step ``churn_risk``: a risk 0-100 combining weighted components,
    its level (low, medium, high), the day the customer entered that level
    and the components' values (codes and numbers, rendered when read).

    Components come from :meth:`_lifecycle_churn_components`; an addon adds
    one by extending it (see ``docs/customisation-guide.md``). Opted-out
    customers and customers without a purchase get no churn risk.
    """

    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _scoring_steps(self):
        reads = {"purchase_count", "no_profiling"}
        for component in self._lifecycle_churn_components():
            reads.update(component.reads)
        return super()._scoring_steps() + [
            ScoringStep(
                "churn_risk",
                STEP_SEQUENCES["churn_risk"],
                columns={
                    "churn_risk": "int4",
                    "churn_level": "varchar",
                    "churn_level_date": "date",
                    "churn_components": "jsonb",
                },
                reads=tuple(sorted(reads)),
            )
        ]

    @api.model
    def _lifecycle_churn_components(self):
        """The components of the churn risk (:class:`ChurnComponent`).

        Extend to add one: ``return super()._lifecycle_churn_components() +
        [ChurnComponent("code", self.env._("Label"), "weight_field",
        lambda ctx, row: SQL(...), reads=(...))]``.
        """
        return [
            ChurnComponent(
                "not_alive",
                self.env._("Probability that the customer has stopped buying"),
                "lifecycle_churn_weight_alive",
                lambda ctx, row: SQL("1 - %s.p_alive", row),
                reads=("p_alive",),
            ),
            ChurnComponent(
                "overdue",
                self.env._("Time since the last purchase against its own rhythm"),
                "lifecycle_churn_weight_overdue",
                self._lifecycle_churn_overdue_sql,
                reads=(
                    "last_purchase_date",
                    "avg_interval_days",
                    "purchase_count",
                ),
            ),
        ]

    @api.model
    def _lifecycle_churn_overdue_sql(self, ctx, row):
        """0 until the customer's usual interval has passed since its last
        purchase, then rising linearly to 1 when it has passed
        ``lifecycle_at_risk_factor + 1`` times. The usual interval is the
        customer's average interval with enough purchases
        (``lifecycle_at_risk_min_purchases``), else the at-risk default
        delay. Rounded to 0.05, so that it moves in steps rather than
        every day."""
        company = ctx.company
        rhythm = SQL(
            """CASE WHEN %(row)s.purchase_count >= %(min)s
                         AND %(row)s.avg_interval_days > 0
                    THEN %(row)s.avg_interval_days ELSE %(default)s END""",
            row=row,
            min=company.lifecycle_at_risk_min_purchases,
            default=company.lifecycle_at_risk_default_days,
        )
        return SQL(
            """ROUND(LEAST(1, GREATEST(0,
                   ((%(today)s - %(row)s.last_purchase_date) / (%(rhythm)s)::numeric
                    - 1) / %(span)s)) * 20) / 20""",
            today=ctx.date,
            row=row,
            rhythm=rhythm,
            span=max(company.lifecycle_at_risk_factor, 1.0),
        )

    @api.model
    def _lifecycle_churn_thresholds(self, company):
        return (
            company.lifecycle_churn_medium_threshold,
            company.lifecycle_churn_high_threshold,
        )

    @api.model
    def _scoring_select_churn_risk(self, ctx, source):
        company = ctx.company
        components = [
            (component, float(company[component.weight_field] or 0.0))
            for component in self._lifecycle_churn_components()
        ]
        components = [(c, weight) for c, weight in components if weight > 0]
        scored = SQL("(s.purchase_count > 0 AND NOT s.no_profiling)")
        medium, high = self._lifecycle_churn_thresholds(company)
        if not components:
            return SQL(
                "SELECT s.partner_id, NULL::int4, NULL::varchar, NULL::date, "
                "NULL::jsonb FROM %s s",
                source,
            )
        values = SQL(", ").join(
            SQL(
                "ROUND((%s)::numeric, 2) AS %s",
                component.expression(ctx, SQL("s")),
                SQL.identifier(f"c_{index}"),
            )
            for index, (component, _weight) in enumerate(components)
        )
        weighted = SQL(" + ").join(
            SQL("COALESCE(%s * c.%s, 0)", weight, SQL.identifier(f"c_{index}"))
            for index, (_component, weight) in enumerate(components)
        )
        weights = SQL(" + ").join(
            SQL(
                "CASE WHEN c.%s IS NULL THEN 0 ELSE %s END",
                SQL.identifier(f"c_{index}"),
                weight,
            )
            for index, (_component, weight) in enumerate(components)
        )
        explanation = SQL(
            "jsonb_strip_nulls(jsonb_build_object(%s))",
            SQL(", ").join(
                SQL("%s::text, c.%s", component.code, SQL.identifier(f"c_{index}"))
                for index, (component, _weight) in enumerate(components)
            ),
        )
        return SQL(
            """
            WITH c AS MATERIALIZED (
                SELECT s.partner_id, %(values)s
                  FROM %(source)s s
                 WHERE %(scored)s
            ), risk AS MATERIALIZED (
                -- materialized: inlined, the components' expressions would
                -- be evaluated again in every reference to the risk
                SELECT c.partner_id,
                       CASE WHEN (%(weights)s) > 0
                            THEN ROUND(100 * (%(weighted)s) / (%(weights)s))::int4
                       END AS churn_risk,
                       %(explanation)s AS churn_components
                  FROM c
            ), level AS (
                SELECT risk.*,
                       CASE WHEN churn_risk >= %(high)s THEN 'high'
                            WHEN churn_risk >= %(medium)s THEN 'medium'
                            WHEN churn_risk IS NOT NULL THEN 'low'
                       END AS churn_level
                  FROM risk
            )
            SELECT level.partner_id, level.churn_risk, level.churn_level,
                   CASE WHEN level.churn_level IS NULL THEN NULL
                        WHEN p.churn_level IS NOT DISTINCT FROM level.churn_level
                             AND p.churn_level_date IS NOT NULL
                        THEN p.churn_level_date
                        ELSE %(today)s::date END,
                   level.churn_components
              FROM level
         LEFT JOIN crm_lifecycle_profile p
                ON p.partner_id = level.partner_id AND p.company_id = %(company)s
            """,
            values=values,
            source=source,
            scored=scored,
            weights=weights,
            weighted=weighted,
            explanation=explanation,
            high=high,
            medium=medium,
            today=ctx.date,
            company=company.id,
        )
