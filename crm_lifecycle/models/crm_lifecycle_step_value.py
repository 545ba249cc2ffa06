# One step per file, each inheriting the pipeline, by design (see
# docs/architecture.md): a step is found, read and replaced on its own.
# pylint: disable=consider-merging-classes-inherited
import math
from datetime import timedelta

import numpy as np

from odoo import api, models
from odoo.tools import SQL

from ..lib import value_model as vm
from .crm_lifecycle_scoring import STEP_SEQUENCES, ScoringStep
from .crm_lifecycle_step_figures import FIGURE_COLUMNS

# Decided in SQL: the date the value scores are computed as of, the
# probability that the customer is still alive (also read by the churn step)
# and the current-value level.
VALUE_SQL_COLUMNS = {
    "value_date": "date",
    "p_alive": "numeric",
    "value_current_level": "varchar",
    "value_model_id": "int4",
}
# Decided per batch in Python with the fitted model.
VALUE_PYTHON_COLUMNS = {
    "repeat_avg_value": "numeric",
    "expected_purchases_30": "numeric",
    "expected_purchases_90": "numeric",
    "expected_purchases_365": "numeric",
    "expected_order_value": "numeric",
    "predicted_clv": "numeric",
    "next_purchase_date": "date",
    "value_potential_level": "varchar",
    "value_segment_id": "int4",
}
# The horizons of the expected purchases, in days.
HORIZONS = {
    "expected_purchases_30": 30,
    "expected_purchases_90": 90,
    "expected_purchases_365": 365,
}
# No expected next purchase further than this (a customer whose expected rate
# is close to zero).
MAX_NEXT_PURCHASE_DAYS = 3660


class CrmLifecycleScoring(models.AbstractModel):
    """Step ``value``: probability alive, expected purchases, expected order
    value, predicted lifetime value and the value segment, from the company's
    value model (``crm.lifecycle.value.model``, see :mod:`..lib.value_model`).

    The scores of a customer are computed as of ``value_date``: the date of
    the value model in use, or the customer's last purchase when it is
    later. They therefore change with the weekly refit and with a new
    purchase, not with every passing day, and a night rewrites only the
    customers that bought or whose figures changed. Opted-out customers
    (``res.partner.lifecycle_no_profiling``) get no value scores.
    """

    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _scoring_steps(self):
        return super()._scoring_steps() + [
            ScoringStep(
                "value",
                STEP_SEQUENCES["value"],
                columns={**VALUE_SQL_COLUMNS, **VALUE_PYTHON_COLUMNS},
                python_columns=tuple(VALUE_PYTHON_COLUMNS),
                reads=(
                    "purchase_count",
                    "first_purchase_date",
                    "last_purchase_date",
                    "revenue_12m",
                    "no_profiling",
                ),
            )
        ]

    # ------------------------------------------------------------
    # THE MODEL OF A SCORING
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_value_card(self, ctx):
        """The value model card the scoring uses: the company's latest one
        fitted as of the scoring's date or earlier; fitted now when there is
        none."""
        card = ctx.extra.get("value_card")
        if card is None:
            Card = self.env["crm.lifecycle.value.model"].sudo()
            card = Card._lifecycle_current(ctx.company, ctx.date)
            if not card:
                card = Card._lifecycle_fit(ctx.company, ctx.date)
            ctx.extra["value_card"] = card
            ctx.extra["value_fit"] = vm.ValueFit.from_dict(card.fit_data)
        return card

    @api.model
    def _lifecycle_value_bounds(self, ctx):
        """``{"current": (low, high), "potential": (low, high)}``: amounts
        from which a value level is medium, high; by the company's settings
        (amounts) or the percentiles computed with the model (percentiles)."""
        company = ctx.company
        if company.lifecycle_value_bounds == "amount":
            return {
                "current": (
                    company.lifecycle_value_current_low,
                    company.lifecycle_value_current_high,
                ),
                "potential": (
                    company.lifecycle_value_potential_low,
                    company.lifecycle_value_potential_high,
                ),
            }
        card = self._lifecycle_value_card(ctx)
        return {
            "current": (card.current_low, card.current_high),
            "potential": (card.potential_low, card.potential_high),
        }

    @api.model
    def _lifecycle_value_settings(self, company):
        """Horizon (months), annual discount rate and margin (fractions)."""
        return (
            company.lifecycle_clv_months,
            company.lifecycle_clv_discount / 100.0,
            company.lifecycle_clv_margin / 100.0,
        )

    @api.model
    def _lifecycle_value_segments(self):
        """``{(current_level, potential_level): segment id}`` of the active
        value segments."""
        segments = self.env["crm.lifecycle.value.segment"].sudo().search([])
        result = {}
        for segment in segments:
            result.setdefault(
                (segment.current_level, segment.potential_level), segment.id
            )
        return result

    @api.model
    def _scoring_keep_value(self, ctx):
        """Every customer needs new value scores when the model, the value
        settings or the value segments changed since the last run; otherwise
        only those whose figures changed (already scored for that)."""
        card = self._lifecycle_value_card(ctx)
        ctx.step_keys["value"] = repr(
            (
                card.id,
                self._lifecycle_value_settings(ctx.company),
                sorted(self._lifecycle_value_bounds(ctx).items()),
                sorted(self._lifecycle_value_segments().items()),
            )
        )
        if ctx.previous_step_keys.get("value") != ctx.step_keys["value"]:
            return SQL("TRUE")
        return SQL("FALSE")

    # ------------------------------------------------------------
    # SQL PART
    # ------------------------------------------------------------

    @api.model
    def _scoring_select_value(self, ctx, source):
        """``value_date``, ``p_alive``, the current-value level and the
        model of every customer with purchases who has not opted out."""
        card = self._lifecycle_value_card(ctx)
        fit = ctx.extra["value_fit"]
        scored = SQL("(s.purchase_count > 0 AND NOT s.no_profiling)")
        value_date = SQL("GREATEST(%s::date, s.last_purchase_date)", card.as_of_date)
        low, high = self._lifecycle_value_bounds(ctx)["current"]
        if low is None or high is None or low is False or high is False:
            level = SQL("NULL::varchar")
        else:
            level = SQL(
                """CASE WHEN s.revenue_12m >= %(high)s THEN 'high'
                        WHEN s.revenue_12m >= %(low)s THEN 'medium'
                        ELSE 'low' END""",
                low=low,
                high=high,
            )
        return SQL(
            """
            SELECT s.partner_id,
                   CASE WHEN %(scored)s THEN %(value_date)s END,
                   CASE WHEN %(scored)s THEN ROUND((%(p_alive)s)::numeric, 3) END,
                   CASE WHEN %(scored)s THEN %(level)s END,
                   CASE WHEN %(scored)s THEN %(card)s END
              FROM %(source)s s
            """,
            scored=scored,
            value_date=value_date,
            p_alive=self._lifecycle_p_alive_sql(fit, value_date),
            level=level,
            card=card.id,
            source=source,
        )

    @api.model
    def _lifecycle_p_alive_sql(self, fit, value_date):
        """SQL of :func:`..lib.value_model.p_alive` on the source row ``s``
        as of ``value_date`` (double precision, in log space)."""
        # double precision: exp() and ln() of numerics are far slower
        x = SQL("(s.purchase_count - 1)::float8")
        t_x = SQL("((s.last_purchase_date - s.first_purchase_date) / 7.0::float8)")
        age = SQL("((%s - s.first_purchase_date) / 7.0::float8)", value_date)
        if fit.method == "bgnbd":
            params = fit.bgnbd
            return SQL(
                """CASE WHEN %(x)s = 0 THEN 1.0::float8
                        ELSE 1.0::float8 / (1.0::float8 + exp(LEAST(700.0::float8,
                            GREATEST(-700.0::float8,
                            ln(%(a)s / (%(b)s + %(x)s - 1))
                            + (%(r)s + %(x)s)
                              * ln((%(alpha)s + %(age)s) / (%(alpha)s + %(t_x)s))))))
                   END""",
                x=x,
                t_x=t_x,
                age=age,
                r=SQL("%s::float8", float(params.r)),
                alpha=SQL("%s::float8", float(params.alpha)),
                a=SQL("%s::float8", float(params.a)),
                b=SQL("%s::float8", float(params.b)),
            )
        return SQL(
            "exp(GREATEST(-700.0::float8, -(%(rate)s) * (%(age)s - %(t_x)s)))",
            rate=SQL("%s::float8", float(fit.heuristic["rate"])),
            age=age,
            t_x=t_x,
        )

    @api.model
    def _lifecycle_repeat_value_query(self, ctx, partner_ids=None):
        """SQL: ``partner_id`` and the mean spend per repeat purchase
        occasion (untaxed invoices of a day, the first day excluded; NULL
        for one-time buyers), as of ``ctx.date``."""
        return SQL(
            """
            SELECT partner_id,
                   ROUND(AVG(spend) FILTER (WHERE occasion > 1), %(digits)s)
              FROM (SELECT commercial_partner_id AS partner_id,
                           SUM(amount_untaxed_signed) AS spend,
                           row_number() OVER (PARTITION BY commercial_partner_id
                                              ORDER BY invoice_date) AS occasion
                      FROM account_move
                     WHERE company_id = ANY(%(companies)s)
                       AND state = 'posted'
                       AND move_type = 'out_invoice'
                       AND commercial_partner_id IS NOT NULL
                       AND invoice_date <= %(today)s
                       %(only)s
                  GROUP BY commercial_partner_id, invoice_date) AS days
          GROUP BY partner_id
            """,
            digits=ctx.company.currency_id.decimal_places,
            companies=ctx.company_ids,
            today=ctx.date,
            only=SQL("AND commercial_partner_id = ANY(%s)", list(partner_ids))
            if partner_ids is not None
            else SQL(""),
        )

    @api.model
    def _lifecycle_value_extract(self, company, as_of):
        """The purchase history of ``company``'s customers as of ``as_of``
        for the value model, as numpy arrays: ``partner_ids``, ``x`` (repeat
        purchase occasions), ``t_x`` and ``T`` (weeks from the first purchase
        to the last one and to ``as_of``), ``m`` (mean repeat spend, 0 for
        one-time buyers) and ``revenue_12m``. Opted-out customers are left
        out."""
        self._scoring_flush()
        ctx = self._scoring_context(company, as_of)
        names = SQL(", ").join(
            SQL.identifier(name) for name in ["partner_id", *FIGURE_COLUMNS]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT f.partner_id, f.purchase_count - 1,
                       (f.last_purchase_date - f.first_purchase_date) / 7.0,
                       (%(as_of)s - f.first_purchase_date) / 7.0,
                       COALESCE(r.value, 0), f.revenue_12m
                  FROM (%(figures)s) AS f(%(names)s)
             LEFT JOIN (%(repeat)s) AS r(partner_id, value)
                    ON r.partner_id = f.partner_id
                 WHERE f.purchase_count > 0 AND NOT f.no_profiling
              ORDER BY f.partner_id
                """,
                as_of=as_of,
                figures=self._lifecycle_figures_query(ctx),
                names=names,
                repeat=self._lifecycle_repeat_value_query(ctx),
            )
        )
        rows = self.env.cr.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [()] * 6
        return {
            "partner_ids": np.array(columns[0], dtype=np.int64),
            "x": np.array(columns[1], dtype=float),
            "t_x": np.array(columns[2], dtype=float),
            "T": np.array(columns[3], dtype=float),
            "m": np.array(columns[4], dtype=float),
            "revenue_12m": np.array(columns[5], dtype=float),
        }

    @api.model
    def _lifecycle_purchases_between(self, company, partner_ids, start, end):
        """Purchase occasions of each of ``partner_ids`` (numpy array) dated
        after ``start`` and up to ``end``, in the same order."""
        ctx = self._scoring_context(company, end)
        self.env.cr.execute(
            SQL(
                """
                SELECT commercial_partner_id, COUNT(DISTINCT invoice_date)
                  FROM account_move
                 WHERE company_id = ANY(%(companies)s)
                   AND state = 'posted'
                   AND move_type = 'out_invoice'
                   AND invoice_date > %(start)s AND invoice_date <= %(end)s
                   AND commercial_partner_id = ANY(%(partners)s)
              GROUP BY commercial_partner_id
                """,
                companies=ctx.company_ids,
                start=start,
                end=end,
                partners=[int(pid) for pid in partner_ids],
            )
        )
        counts = dict(self.env.cr.fetchall())
        return np.array([counts.get(int(pid), 0) for pid in partner_ids], dtype=float)

    # ------------------------------------------------------------
    # BATCH PART
    # ------------------------------------------------------------

    @api.model
    def _scoring_batch_value(self, ctx, batch):
        """Expected purchases, order value, lifetime value, next purchase,
        potential level and value segment of the batch's scored customers."""
        values = batch.values
        scored = [
            pid
            for pid in batch.partner_ids
            if values[pid]["value_date"] and values[pid]["purchase_count"]
        ]
        out = {name: {} for name in VALUE_PYTHON_COLUMNS}
        batch.python_values.update(out)
        if not scored:
            return
        self._lifecycle_value_card(ctx)
        fit = ctx.extra["value_fit"]
        self.env.cr.execute(self._lifecycle_repeat_value_query(ctx, scored))
        repeat = dict(self.env.cr.fetchall())
        rows = [values[pid] for pid in scored]
        x = np.array([row["purchase_count"] - 1 for row in rows], dtype=float)
        t_x = np.array(
            [
                (row["last_purchase_date"] - row["first_purchase_date"]).days / 7.0
                for row in rows
            ]
        )
        age = np.array(
            [
                (row["value_date"] - row["first_purchase_date"]).days / 7.0
                for row in rows
            ]
        )
        m = np.array([float(repeat.get(pid) or 0.0) for pid in scored])
        months, discount, margin = self._lifecycle_value_settings(ctx.company)
        expected = {
            name: vm.expected_purchases(fit, days / 7.0, x, t_x, age)
            for name, days in HORIZONS.items()
        }
        order_value = vm.expected_value(fit, x, m)
        clv = vm.clv(fit, x, t_x, age, m, months, discount, margin)
        rate = vm.expected_rate(fit, x, age).tolist()
        low, high = self._lifecycle_value_bounds(ctx)["potential"]
        segments = ctx.extra.get("value_segments")
        if segments is None:
            segments = ctx.extra["value_segments"] = self._lifecycle_value_segments()
        out["repeat_avg_value"] = {pid: repeat.get(pid) for pid in scored}
        for name in HORIZONS:
            out[name] = dict(zip(scored, _rounded(expected[name], 2), strict=True))
        out["expected_order_value"] = dict(
            zip(scored, _rounded(order_value, 0), strict=True)
        )
        clv = _rounded(clv, 0)
        out["predicted_clv"] = dict(zip(scored, clv, strict=True))
        for index, pid in enumerate(scored):
            row = rows[index]
            if 0 < rate[index] < math.inf:
                days = round(7.0 / rate[index])
                if days <= MAX_NEXT_PURCHASE_DAYS:
                    out["next_purchase_date"][pid] = row[
                        "last_purchase_date"
                    ] + timedelta(days=days)
            value = clv[index]
            level = None
            if value is not None and low is not None and high is not None:
                level = "high" if value >= high else "medium" if value >= low else "low"
            out["value_potential_level"][pid] = level
            out["value_segment_id"][pid] = segments.get(
                (row["value_current_level"], level)
            )
        batch.python_values.update(out)


def _rounded(values, digits):
    """``values`` (an array) rounded, as a list; ``None`` for values that
    are not finite numbers."""
    return [
        round(value, digits) if math.isfinite(value) else None
        for value in np.asarray(values, dtype=float).tolist()
    ]
