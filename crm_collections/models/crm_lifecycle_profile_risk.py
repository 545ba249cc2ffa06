# One concern per file (financial risk); other files of this addon may
# inherit the same model.
# pylint: disable=consider-merging-classes-inherited
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools.misc import format_date

from ..lib import risk_rules

RISK_LEVELS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]


class CrmLifecycleProfile(models.Model):
    """Payment behaviour and financial risk of the customer, written by the
    scoring steps ``payment`` and ``financial_risk`` (engine fields:
    read-only, the profile's write guard refuses them to users)."""

    _inherit = "crm.lifecycle.profile"

    # Payment behaviour (step ``payment``)
    payment_days_late_avg = fields.Float(
        string="Average Days Paid Late",
        readonly=True,
        digits=(16, 1),
        aggregator="avg",
        help="Amount-weighted average days customer invoices were paid after "
        "their due date over the last 12 months (early or on time: 0; "
        "credit notes excluded). 0 without a payment.",
    )
    payment_days_to_pay_avg = fields.Float(
        string="Average Days to Pay",
        readonly=True,
        digits=(16, 1),
        aggregator="avg",
        help="Amount-weighted average days from the invoice date to the "
        "payment over the last 12 months (credit notes excluded). 0 without a "
        "payment.",
    )
    payment_on_time_share = fields.Float(
        string="Share Paid on Time",
        readonly=True,
        digits=(16, 3),
        aggregator="avg",
        help="Share (0-1) of the amount paid in the last 12 months that was "
        "paid by its due date (credit notes excluded). 0 without a payment.",
    )
    overdue_amount = fields.Monetary(
        readonly=True,
        help="Open amount of the customer's invoices past their due date, in "
        "company currency, as of the last scoring.",
    )
    overdue_since = fields.Date(
        readonly=True,
        aggregator="min",
        help="Due date of the oldest open invoice past its due date, as of the "
        "last scoring. Empty when nothing is overdue.",
    )
    overdue_days_max = fields.Integer(
        string="Longest Days Overdue",
        compute="_compute_overdue_days_max",
        search="_search_overdue_days_max",
        help="Days past its due date of the oldest open invoice, today (from "
        "Overdue Since). 0 when nothing is overdue.",
    )
    promise_kept_rate = fields.Float(
        string="Promises Kept",
        readonly=True,
        digits=(16, 3),
        aggregator="avg",
        help="Share (0-1) of the promises to pay of the last 12 months that "
        "were kept, among those kept or broken. 0 when none was due.",
    )

    # Financial risk (step ``financial_risk``)
    financial_risk_score = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="0-100: how likely the customer does not pay, from the weighted "
        "components shown in the explanation, lowered by its predicted "
        "lifetime value (weights in the settings). Empty: no receivable "
        "activity in 12 months.",
    )
    financial_risk_level = fields.Selection(
        RISK_LEVELS,
        readonly=True,
        index=True,
        help="Low, medium or high by the thresholds of the settings.",
    )
    financial_risk_components = fields.Json(
        readonly=True,
        help="Technical: the components of the financial risk (0-1) by code, "
        "the score before mitigation and the figures they come from.",
    )
    financial_risk_explanation = fields.Text(
        compute="_compute_financial_risk_explanation",
        help="What makes up the financial risk, in your language.",
    )
    financial_risk_history_ids = fields.One2many(
        comodel_name="crm.collections.risk.history",
        inverse_name="profile_id",
    )

    @api.depends("overdue_since")
    @api.depends_context("tz")
    def _compute_overdue_days_max(self):
        today = fields.Date.context_today(self)
        for profile in self:
            since = profile.overdue_since
            profile.overdue_days_max = max(0, (today - since).days) if since else 0

    def _search_overdue_days_max(self, operator, value):
        """Days overdue today as a domain on ``overdue_since``: more than N
        days is due before today - N; 0 days is nothing overdue."""
        if operator not in ("=", "!=", ">", ">=", "<", "<="):
            raise UserError(
                self.env._(
                    "Longest Days Overdue cannot be searched with %(operator)s.",
                    operator=operator,
                )
            )
        days = int(value or 0)
        limit = fields.Date.context_today(self) - timedelta(days=days)
        # days = today - overdue_since: the comparison on the date is reversed
        reverse = {"=": "=", "!=": "!=", ">": "<", ">=": "<=", "<": ">", "<=": ">="}
        domain = [("overdue_since", reverse[operator], limit)]
        zero_matches = {
            "=": days == 0,
            "!=": days != 0,
            ">": 0 > days,
            ">=": 0 >= days,
            "<": 0 < days,
            "<=": 0 <= days,
        }[operator]
        if zero_matches:
            domain = expression.OR([domain, [("overdue_since", "=", False)]])
        elif operator == "!=":
            domain = expression.AND([domain, [("overdue_since", "!=", False)]])
        return domain

    @api.model
    def _lifecycle_state_columns(self):
        """The risk level before the batch, for the risk history."""
        return super()._lifecycle_state_columns() + ["financial_risk_level"]

    def _collections_risk_labels(self):
        _ = self.env._
        return {
            "overdue": _("Overdue amount against the usual balance"),
            "days_overdue": _("Longest days overdue"),
            "payment_habit": _("Payment habit (12 months)"),
            "broken_promises": _("Broken promises to pay (12 months)"),
            "dunning": _("Dunning escalation (90 days)"),
        }

    def _collections_scoring_dates(self):
        """``{company_id: date}`` of the last finished scoring run of the
        profiles' companies (one query)."""
        groups = (
            self.env["crm.lifecycle.run"]
            .sudo()
            ._read_group(
                [("company_id", "in", self.company_id.ids), ("state", "=", "done")],
                ["company_id"],
                ["date:max"],
            )
        )
        return {company.id: date for company, date in groups}

    def _collections_days_overdue_detail(self, value, as_of):
        """The explanation of the component ``days_overdue`` (``value``):
        the days of the oldest open invoice as of ``as_of`` (the last scoring
        run's day) and its aging bucket. When the days as of ``as_of`` fall
        in another bucket than the component's (the profile was scored on
        another day), the due date and the component's bucket only: the
        explanation never contradicts the score."""
        self.ensure_one()
        _ = self.env._
        aging = self.env["crm.collections.aging"]._fields["bucket"]
        labels = dict(aging._description_selection(self.env))
        bucket = labels.get(risk_rules.days_overdue_component_bucket(value), "")
        days = max(0, (as_of - self.overdue_since).days)
        due = format_date(self.env, self.overdue_since)
        if risk_rules.days_overdue_component(days) == value:
            return _(
                "Oldest open invoice %(days)s days overdue (due %(due)s, %(bucket)s).",
                days=days,
                due=due,
                bucket=bucket,
            )
        return _(
            "Oldest open invoice due %(due)s (%(bucket)s at the last scoring).",
            due=due,
            bucket=bucket,
        )

    @api.depends("financial_risk_components", "financial_risk_score")
    @api.depends_context("lang")
    def _compute_financial_risk_explanation(self):
        _ = self.env._
        labels = self._collections_risk_labels()
        scoring_dates = self._collections_scoring_dates()
        today = fields.Date.context_today(self)
        for profile in self:
            data = profile.financial_risk_components or {}
            if not data:
                profile.financial_risk_explanation = False
                continue
            company = profile.company_id
            weights = company._collections_risk_weights()
            currency = profile.currency_id
            lines = []
            for code in risk_rules.COMPONENTS:
                value = data.get(code)
                if value is None:
                    continue
                lines.append(
                    _(
                        "%(label)s: %(value)s%% (weight %(weight)s)",
                        label=labels[code],
                        value=round(100 * value),
                        weight=weights.of(code),
                    )
                )
            details = []
            if data.get("overdue"):
                details.append(
                    _(
                        "Overdue %(amount)s against a usual balance of %(usual)s.",
                        amount=currency.format(profile.overdue_amount),
                        usual=currency.format(data.get("usual_balance") or 0.0),
                    )
                )
            if data.get("days_overdue") and profile.overdue_since:
                details.append(
                    profile._collections_days_overdue_detail(
                        data["days_overdue"],
                        scoring_dates.get(profile.company_id.id) or today,
                    )
                )
            if data.get("payment_habit") is not None:
                details.append(
                    _(
                        "Paid %(late)s days late on average, %(share)s%% of the "
                        "amount on time.",
                        late=round(profile.payment_days_late_avg, 1),
                        share=round(100 * profile.payment_on_time_share),
                    )
                )
            if data.get("broken"):
                details.append(
                    _("%(count)s broken promise(s) to pay.", count=data["broken"])
                )
            raw = data.get("raw")
            score = profile.financial_risk_score
            summary = _("Score before the lifetime value: %(raw)s.", raw=raw)
            if raw is not None and score < raw:
                summary = _(
                    "Score %(raw)s lowered to %(score)s by the predicted "
                    "lifetime value %(clv)s.",
                    raw=raw,
                    score=score,
                    clv=currency.format(profile.predicted_clv),
                )
            profile.financial_risk_explanation = "\n".join([*lines, *details, summary])
