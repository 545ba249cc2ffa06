# One step per file, each inheriting the pipeline, by design (see
# docs/architecture.md): a step is found, read and replaced on its own.
# pylint: disable=consider-merging-classes-inherited
from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from ..lib import tier_rules
from .crm_lifecycle_scoring import STEP_SEQUENCES, ScoringStep

# Decided per batch in Python (the predicted lifetime value, one of the
# thresholds, is itself decided in the value step's batch part).
TIER_COLUMNS = {
    "tier_id": "int4",
    "tier_date": "date",
    "tier_below_since": "date",
}


class CrmLifecycleScoring(models.AbstractModel):
    """Step ``tier``: the loyalty tier of each customer, by the rules of
    :mod:`..lib.tier_rules`.

    The tier a customer qualifies for is the highest-ranked active tier of
    the company whose thresholds (12-month revenue, predicted lifetime value,
    days since the first purchase; 0: not used) it all meets. Its current
    tier, the day it got it and the day it fell below it are state, read from
    the profile like the stage: a promotion is written at once, a demotion
    once the customer has stayed ``lifecycle_tier_grace_days`` below its
    tier. Changes are recorded in ``crm.lifecycle.tier.history``. Customers
    without a purchase or who object to profiling get no tier.
    """

    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _scoring_steps(self):
        return super()._scoring_steps() + [
            ScoringStep(
                "tier",
                STEP_SEQUENCES["tier"],
                columns=dict(TIER_COLUMNS),
                python_columns=tuple(TIER_COLUMNS),
                reads=(
                    "purchase_count",
                    "first_purchase_date",
                    "revenue_12m",
                    "no_profiling",
                    "predicted_clv",
                ),
            )
        ]

    # ------------------------------------------------------------
    # CONFIGURATION
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_tier_config(self, ctx):
        """``(tiers, grace_days)`` of the scoring's company, read once per
        scoring: the active tiers as ``{tier_id: lib Tier}``."""
        config = ctx.extra.get("tier_config")
        if config is None:
            tiers = self.env["crm.lifecycle.tier"]._lifecycle_company_tiers(ctx.company)
            config = ctx.extra["tier_config"] = (
                {tier.id: tier._lifecycle_rule() for tier in tiers},
                ctx.company.lifecycle_tier_grace_days,
            )
        return config

    @api.model
    def _lifecycle_tier_key(self, ctx):
        """What the tier decisions depend on besides the figures and the
        stored tier state: the tiers' ranks and thresholds, the grace."""
        tiers, grace = self._lifecycle_tier_config(ctx)
        return repr((sorted(tiers.items()), grace))

    # ------------------------------------------------------------
    # TO-DO ROWS
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_tier_rank_sql(self, ctx, tier_column):
        """SQL of the rank of the tier ``tier_column`` (NULL when it is not
        an active tier of the company)."""
        tiers, _grace = self._lifecycle_tier_config(ctx)
        if not tiers:
            return SQL("NULL::int4")
        return SQL(
            "(CASE %s %s END)",
            tier_column,
            SQL(" ").join(
                SQL("WHEN %s THEN %s", tier_id, tier.rank)
                for tier_id, tier in tiers.items()
            ),
        )

    @api.model
    def _lifecycle_tier_qualified_sql(self, ctx, row, clv):
        """SQL twin of :func:`~..lib.tier_rules.qualified_rank` on the working
        row ``row``, with the lifetime value ``clv``: the rank of the
        highest tier reached, NULL when none is."""
        tiers, _grace = self._lifecycle_tier_config(ctx)
        if not tiers:
            return SQL("NULL::int4")
        whens = []
        for tier in sorted(tiers.values(), key=lambda t: t.rank, reverse=True):
            conditions = [SQL("TRUE")]
            if tier.min_revenue_12m > 0:
                conditions.append(
                    SQL("COALESCE(%s.revenue_12m, 0) >= %s", row, tier.min_revenue_12m)
                )
            if tier.min_predicted_clv > 0:
                conditions.append(
                    SQL("COALESCE(%s, 0) >= %s", clv, tier.min_predicted_clv)
                )
            if tier.min_tenure_days > 0:
                conditions.append(
                    SQL(
                        "%s::date - %s.first_purchase_date >= %s",
                        ctx.date,
                        row,
                        tier.min_tenure_days,
                    )
                )
            whens.append(
                SQL("WHEN %s THEN %s", SQL(" AND ").join(conditions), tier.rank)
            )
        return SQL(
            """(CASE WHEN COALESCE(%(row)s.purchase_count, 0) = 0
                          OR %(row)s.no_profiling THEN NULL
                     %(whens)s END)""",
            row=row,
            whens=SQL(" ").join(whens),
        )

    @api.model
    def _scoring_keep_tier(self, ctx):
        """Every customer when the tiers or the grace changed since the last
        run; otherwise those whose tier decision would change today: a tier
        reached above (or without) the current one, a tier lost or archived,
        a grace period to start, to clear or that has run out. Uses the
        stored lifetime value: a customer whose value changes is scored for
        that anyway."""
        ctx.step_keys["tier"] = self._lifecycle_tier_key(ctx)
        if ctx.previous_step_keys.get("tier") != ctx.step_keys["tier"]:
            return SQL("TRUE")
        _tiers, grace = self._lifecycle_tier_config(ctx)
        qualified = self._lifecycle_tier_qualified_sql(
            ctx, SQL("w"), SQL("p.predicted_clv")
        )
        current = self._lifecycle_tier_rank_sql(ctx, SQL("p.tier_id"))
        return SQL(
            """(
                (p.tier_id IS NOT NULL AND %(current)s IS NULL)
             OR (%(current)s IS NULL AND %(qualified)s IS NOT NULL)
             OR (%(qualified)s >= %(current)s
                 AND (%(qualified)s > %(current)s OR p.tier_below_since IS NOT NULL))
             OR (%(current)s IS NOT NULL
                 AND (%(qualified)s IS NULL OR %(qualified)s < %(current)s)
                 AND (p.tier_below_since IS NULL
                      OR p.tier_below_since <= %(limit)s::date))
            )""",
            current=current,
            qualified=qualified,
            limit=ctx.date - timedelta(days=grace),
        )

    # ------------------------------------------------------------
    # BATCH PART
    # ------------------------------------------------------------

    @api.model
    def _scoring_batch_tier(self, ctx, batch):
        """Decide the tier of each customer of the batch. Writes the three
        tier columns of every row (``python_values``) and stores the changes
        ``{partner_id: (from_tier_id, to_tier_id, reason)}`` under
        ``batch.decisions["tier"]``."""
        tiers, grace = self._lifecycle_tier_config(ctx)
        rank_to_id = {tier.rank: tier_id for tier_id, tier in tiers.items()}
        rules = list(tiers.values())
        clv = batch.python_values.get("predicted_clv", {})
        today = ctx.date
        out = {name: {} for name in TIER_COLUMNS}
        changes = {}
        empty = {}
        for partner_id in batch.partner_ids:
            vals = batch.values.get(partner_id, empty)
            state = batch.current.get(partner_id, empty)
            stored = state.get("tier_id")
            current = tiers[stored].rank if stored in tiers else None
            qualified = None
            if vals.get("purchase_count") and not vals.get("no_profiling"):
                first = vals.get("first_purchase_date")
                qualified = tier_rules.qualified_rank(
                    rules,
                    float(vals.get("revenue_12m") or 0.0),
                    float(clv.get(partner_id) or 0.0),
                    (today - first).days if first else None,
                )
            decision = tier_rules.decide(
                current,
                qualified,
                state.get("tier_below_since") if current is not None else None,
                today,
                grace,
            )
            tier_id = rank_to_id.get(decision.rank)
            if tier_id != stored:
                reason = decision.reason
                if stored and current is None:
                    reason = "reassigned"
                changes[partner_id] = (stored, tier_id, reason)
                tier_date = today if tier_id else None
            else:
                tier_date = state.get("tier_date")
            out["tier_id"][partner_id] = tier_id
            out["tier_date"][partner_id] = tier_date
            out["tier_below_since"][partner_id] = decision.below_since
        batch.python_values.update(out)
        batch.decisions["tier"] = changes

    @api.model
    def _scoring_after_write_tier(self, ctx, batch):
        """Record the batch's tier changes in the tier history, in one
        statement."""
        History = self.env["crm.lifecycle.tier.history"].sudo()
        changes = {
            partner_id: {"from_tier_id": from_id, "to_tier_id": to_id, "reason": reason}
            for partner_id, (from_id, to_id, reason) in batch.decisions.get(
                "tier", {}
            ).items()
        }
        History._lifecycle_create_tier_history(
            History._lifecycle_batch_rows(ctx, batch, changes)
        )

    @api.model
    def _scoring_flush(self):
        result = super()._scoring_flush()
        self.env["crm.lifecycle.tier"].flush_model()
        self.env["res.company"].flush_model(["lifecycle_tier_grace_days"])
        return result
