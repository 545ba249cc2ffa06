# One step per file, each inheriting the pipeline, by design (see
# docs/architecture.md): a step is found, read and replaced on its own.
# pylint: disable=consider-merging-classes-inherited
from datetime import date

from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..lib import stage_engine
from .crm_lifecycle_scoring import STEP_SEQUENCES, ScoringStep
from .crm_lifecycle_stage import STAGE_KINDS

# ``stage_valid_until`` of a decision that no passing day changes.
FOREVER = date(9999, 12, 31)


class CrmLifecycleScoring(models.AbstractModel):
    """Step ``stage``: the lifecycle stage from the figures, by the rules of
    :mod:`..lib.stage_engine`.

    First stages are written with the batch; moves from one stage to another
    go through the profile's ``write`` (automated actions on ``stage_id`` see
    them), are recorded in the stage history and logged in the customers'
    chatter in one batch.
    """

    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _scoring_steps(self):
        return super()._scoring_steps() + [
            ScoringStep(
                "stage",
                STEP_SEQUENCES["stage"],
                columns={"stage_valid_until": "date"},
                python_columns=("stage_valid_until",),
                reads=(
                    "purchase_count",
                    "purchase_count_12m",
                    "first_purchase_date",
                    "last_purchase_date",
                    "avg_interval_days",
                ),
            )
        ]

    @api.model
    def _scoring_keep_stage(self, ctx):
        """A customer whose figures did not change needs a new decision once
        its stored one may have expired (``stage_valid_until``), when it has
        no stage, or when the rules changed since the last run."""
        ctx.step_keys["stage"] = self._lifecycle_rules_key(ctx.company)
        if ctx.previous_step_keys.get("stage") != ctx.step_keys["stage"]:
            return SQL("TRUE")
        return SQL(
            """(p.stage_id IS NULL OR p.stage_valid_until IS NULL
                OR p.stage_valid_until < %s)""",
            ctx.date,
        )

    @api.model
    def _lifecycle_rules_key(self, company):
        """What the stage decisions depend on besides the figures."""
        stages = self._lifecycle_stages()
        return repr(
            (
                self._lifecycle_thresholds(company),
                sorted((kind, stage.id) for kind, stage in stages.items()),
            )
        )

    @api.model
    def _scoring_batch_stage(self, ctx, batch):
        """Decide the stage of each customer of the batch. Stores
        ``{partner_id: stage_id}`` for customers without a stage yet under
        ``initial_stage`` (written with the batch), ``{partner_id: (stage,
        decision)}`` under ``stage`` for the customers whose stage changes,
        the partners whose override lock ended under ``unlock``, and the day
        until which each decision holds in ``stage_valid_until``."""
        stages = self._lifecycle_stages()
        stage_ids = {kind: stage.id for kind, stage in stages.items()}
        thresholds = self._lifecycle_thresholds(ctx.company)
        today = ctx.date
        decided, initial, unlock, until = {}, {}, [], {}
        empty = {}
        for partner_id in batch.partner_ids:
            state = batch.current.get(partner_id, empty)
            if state.get("stage_locked"):
                lock_until = state["lock_until"]
                if not lock_until or lock_until >= today:
                    until[partner_id] = lock_until or FOREVER
                    continue
                unlock.append(partner_id)
            vals = batch.values.get(partner_id, empty)
            decision = self._lifecycle_decide_stage(vals, state, today, thresholds)
            stage_id = stage_ids[decision.kind]
            moved = state.get("stage_id") != stage_id
            if moved:
                decided[partner_id] = (stages[decision.kind], decision)
                if not state.get("stage_id"):
                    initial[partner_id] = stage_id
                state = {"stage_kind": decision.kind, "stage_date": today}
            until[partner_id] = self._lifecycle_stage_valid_until(
                vals, state, today, thresholds, decision, moved=moved
            )
        batch.decisions["stage"] = decided
        batch.decisions["initial_stage"] = initial
        batch.decisions["unlock"] = unlock
        batch.python_values["stage_valid_until"] = until

    @api.model
    def _lifecycle_stage_valid_until(
        self, vals, state, today, thresholds, decision, moved=True
    ):
        """The last day the stage decided today holds while the figures do
        not change (see :func:`~..lib.stage_engine.valid_until`); the job
        does not decide again before. ``state`` is the stage state once the
        decision is written; ``moved`` tells whether it differs from the
        state the decision was taken in.

        Override together with :meth:`_lifecycle_decide_stage` when an added
        rule depends on the date: return the day your rule may change its
        mind at the latest (``today`` re-decides tomorrow).
        """
        if moved:
            # the new stage must give itself again, else decide tomorrow
            again = self._lifecycle_decide_stage(vals, state, today, thresholds)
            if again.kind != decision.kind:
                return today
        return (
            stage_engine.valid_until(
                self._lifecycle_figures(vals),
                today,
                thresholds,
                current_kind=state.get("stage_kind"),
                stage_since=state.get("stage_date"),
            )
            or FOREVER
        )

    @api.model
    def _scoring_after_write_stage(self, ctx, batch):
        """Record the decisions of :meth:`_scoring_batch_stage`: unlock,
        move, write the history and log the moves in the chatter."""
        Profile = self.env["crm.lifecycle.profile"].sudo()
        decided = batch.decisions.get("stage", {})
        initial = batch.decisions.get("initial_stage", {})
        current = batch.current
        unlock = [pid for pid in batch.decisions.get("unlock", []) if pid in current]
        if unlock:
            Profile.browse([current[pid]["id"] for pid in unlock]).write(
                {"stage_locked": False, "lock_until": False, "lock_reason": False}
            )
        moves = {pid: move for pid, move in decided.items() if pid not in initial}
        by_stage = {}
        for partner_id, (stage, _decision) in moves.items():
            by_stage.setdefault(stage, []).append(current[partner_id]["id"])
        for stage, profile_ids in by_stage.items():
            # The engine's moves are logged in one batch below: no tracking
            # message per customer.
            vals = {"stage_id": stage.id, "stage_date": ctx.date}
            if stage.kind != "churned":
                # the reason a manager gave for a churn ends with it
                vals["churn_reason_id"] = False
            Profile.browse(profile_ids).with_context(mail_notrack=True).write(vals)
        lang = ctx.company.partner_id.lang or self.env.lang
        this = self.with_context(lang=lang)
        history, reasons = [], {}
        for partner_id, (stage, decision) in decided.items():
            state = current.get(partner_id)
            if not state:
                continue  # created meanwhile by another transaction
            reasons[partner_id] = this._lifecycle_reason(decision)
            history.append(
                {
                    "profile_id": state["id"],
                    "partner_id": partner_id,
                    "company_id": ctx.company.id,
                    "from_stage_id": state["stage_id"],
                    "from_kind": state["stage_kind"],
                    "to_stage_id": stage.id,
                    "to_kind": stage.kind,
                    "reason": reasons[partner_id],
                    "origin": "engine",
                    "duration_days": (ctx.date - state["stage_date"]).days
                    if state["stage_date"]
                    else 0,
                }
            )
        self.env["crm.lifecycle.history"].sudo()._lifecycle_create_history(
            history, ctx.date
        )
        this._lifecycle_log_stage_moves(
            ctx,
            {
                partner_id: (
                    current[partner_id]["stage_id"],
                    stage,
                    reasons[partner_id],
                )
                for partner_id, (stage, _decision) in moves.items()
                if partner_id in reasons
            },
        )
        batch.stage_changes = len(history)

    @api.model
    def _lifecycle_log_stage_moves(self, ctx, moves):
        """Log the stage moves in the customers' chatter, in one batch
        (``mail.thread._message_log_batch``; no tracking values).

        :param moves: ``{partner_id: (from_stage_id, to_stage, reason)}``
        """
        if not moves:
            return
        from_stages = (
            self.env["crm.lifecycle.stage"]
            .sudo()
            .browse({from_id for from_id, _stage, _reason in moves.values() if from_id})
        )
        names = {stage.id: stage.name for stage in from_stages}
        bodies = {
            partner_id: Markup("<p>%s</p>")
            % self.env._(
                "Lifecycle stage in %(company)s: %(old)s → %(new)s. %(reason)s",
                company=ctx.company.name,
                old=names.get(from_id, "-"),
                new=stage.name,
                reason=reason,
            )
            for partner_id, (from_id, stage, reason) in moves.items()
        }
        self.env["res.partner"].sudo().browse(list(bodies))._message_log_batch(bodies)

    # ------------------------------------------------------------
    # RULES
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_thresholds(self, company):
        return stage_engine.Thresholds(
            new_days=company.lifecycle_new_days,
            loyal_min_purchases=company.lifecycle_loyal_min_purchases,
            loyal_min_tenure_days=company.lifecycle_loyal_min_tenure_days,
            at_risk_factor=company.lifecycle_at_risk_factor,
            at_risk_min_purchases=company.lifecycle_at_risk_min_purchases,
            at_risk_default_days=company.lifecycle_at_risk_default_days,
            churn_days=company.lifecycle_churn_days,
        )

    @api.model
    def _lifecycle_stages(self):
        """``{kind: stage}``; raise a clear error when a kind has no stage."""
        stages = self.env["crm.lifecycle.stage"].sudo()._get_stage_by_kind()
        missing = [label for kind, label in STAGE_KINDS if kind not in stages]
        if missing:
            raise UserError(
                self.env._(
                    "The lifecycle engine needs an active stage of each kind; "
                    "none for: %(kinds)s. Add them in Customer Lifecycle > "
                    "Configuration > Stages.",
                    kinds=", ".join(missing),
                )
            )
        return stages

    @api.model
    def _lifecycle_decide_stage(self, vals, state, today, thresholds):
        """Return the :class:`~..lib.stage_engine.Decision` for one profile.

        :param vals: the customer's row of the working table (empty when it
            has none)
        :param state: its stored stage state (empty for a new customer)

        Override to add a rule: return your own decision (a kind and a reason
        code that :meth:`_lifecycle_reason` knows) or ``super()``'s.
        """
        return stage_engine.decide(
            self._lifecycle_figures(vals),
            today,
            thresholds,
            current_kind=state.get("stage_kind"),
            stage_since=state.get("stage_date"),
        )

    @api.model
    def _lifecycle_figures(self, vals):
        return stage_engine.Figures(
            purchase_count=vals.get("purchase_count") or 0,
            purchase_count_12m=vals.get("purchase_count_12m") or 0,
            first_purchase_date=vals.get("first_purchase_date"),
            last_purchase_date=vals.get("last_purchase_date"),
            avg_interval_days=float(vals.get("avg_interval_days") or 0),
        )

    @api.model
    def _lifecycle_reason(self, decision):
        """The engine's decision as a sentence in the context language."""
        _ = self.env._
        params = decision.params
        reasons = {
            "no_purchase": lambda: _("No purchase yet"),
            "churned": lambda: _(
                "No purchase for %(days)s days (churned after %(limit)s days)",
                **params,
            ),
            "won_back": lambda: _(
                "Bought again on %(date)s after having churned", **params
            ),
            "at_risk": lambda: _(
                "No purchase for %(days)s days (at risk after %(limit)s days)",
                **params,
            ),
            "won_back_recent": lambda: _(
                "Won back less than %(days)s days ago", **params
            ),
            "new": lambda: _("First purchase %(days)s days ago", **params),
            "loyal": lambda: _(
                "%(count)s purchases in 12 months, customer for %(tenure)s days",
                **params,
            ),
            "active": lambda: _("Last purchase %(days)s days ago", **params),
        }
        return reasons[decision.reason]()
