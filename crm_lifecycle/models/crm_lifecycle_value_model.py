import logging
import time

import numpy as np
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..lib import value_model as vm

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "crm_lifecycle.group_lifecycle_manager"
HOLDOUT_CRON = "crm_lifecycle.ir_cron_lifecycle_value_holdout"
# Customers whose predicted lifetime values give the potential-value
# percentiles of a fit.
PERCENTILE_SAMPLE = 5000


class CrmLifecycleValueModel(models.Model):
    """The value model card of a (root) company: one BG/NBD and Gamma-Gamma
    fit on the purchase history up to a date (see :mod:`..lib.value_model`).

    The weekly job fits a new card; the scoring uses the latest card fitted
    as of its date or earlier. A manager validates a card on a holdout
    period from the card itself; the validation runs as a background job.

    Scripts and back-tests::

        card = env["crm.lifecycle.value.model"]._lifecycle_fit(company, as_of)
        env["crm.lifecycle.scoring"]._scoring_score_company(company, as_of)
    """

    _name = "crm.lifecycle.value.model"
    _description = "Customer Value Model"
    _order = "as_of_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    as_of_date = fields.Date(
        string="History Up To",
        required=True,
        readonly=True,
        help="The model is fitted on the purchases dated up to this day; the "
        "scoring uses it from this day on, until the next fit.",
    )
    method = fields.Selection(
        [
            ("bgnbd", "BG/NBD and Gamma-Gamma"),
            ("heuristic", "Fallback heuristic"),
        ],
        readonly=True,
        required=True,
        help="BG/NBD and Gamma-Gamma: the statistical model was fitted. Fallback "
        "heuristic: the data could not support a fit (see the warnings); "
        "predictions use the company's average purchase rate instead.",
    )
    time_unit = fields.Selection(
        [("week", "Weeks")],
        default="week",
        readonly=True,
        required=True,
        help="The unit of the purchase rates and of the parameters alpha.",
    )
    bgnbd_r = fields.Float(string="r", digits=(16, 4), readonly=True)
    bgnbd_alpha = fields.Float(string="alpha", digits=(16, 4), readonly=True)
    bgnbd_a = fields.Float(string="a", digits=(16, 4), readonly=True)
    bgnbd_b = fields.Float(string="b", digits=(16, 4), readonly=True)
    gg_p = fields.Float(string="p", digits=(16, 4), readonly=True)
    gg_q = fields.Float(string="q", digits=(16, 4), readonly=True)
    gg_v = fields.Float(string="gamma", digits=(16, 4), readonly=True)
    loglik_bgnbd = fields.Float(
        string="BG/NBD Log-likelihood", digits=(16, 2), readonly=True
    )
    loglik_gg = fields.Float(
        string="Gamma-Gamma Log-likelihood", digits=(16, 2), readonly=True
    )
    customers = fields.Integer(
        string="Customers Used",
        readonly=True,
        help="Customers with at least one purchase up to the date, opted-out "
        "customers excluded.",
    )
    repeat_customers = fields.Integer(
        string="Repeat Buyers",
        readonly=True,
        help="Customers with at least two purchase occasions: the spend model "
        "is fitted on them.",
    )
    fit_seconds = fields.Float(digits=(16, 3), readonly=True)
    extract_seconds = fields.Float(digits=(16, 3), readonly=True)
    warning_codes = fields.Json(readonly=True)
    warnings = fields.Text(compute="_compute_warnings")
    fit_data = fields.Json(readonly=True, help="Technical: the fitted model.")
    current_low = fields.Monetary(
        string="Current Value: Medium From",
        readonly=True,
        help="12-month revenue from which a customer's current value is medium.",
    )
    current_high = fields.Monetary(
        string="Current Value: High From",
        readonly=True,
        help="12-month revenue from which a customer's current value is high.",
    )
    potential_low = fields.Monetary(
        string="Potential Value: Medium From",
        readonly=True,
        help="Predicted lifetime value from which the potential is medium.",
    )
    potential_high = fields.Monetary(
        string="Potential Value: High From",
        readonly=True,
        help="Predicted lifetime value from which the potential is high.",
    )
    is_current = fields.Boolean(
        compute="_compute_is_current",
        string="In Use",
        help="The latest model of the company: the scoring uses it.",
    )

    # Holdout validation
    holdout_weeks = fields.Integer(
        default=26,
        help="Length of the holdout period: the model is fitted again on the "
        "history before it and its predictions are compared with the purchases "
        "made in it.",
    )
    holdout_state = fields.Selection(
        [
            ("none", "Not Run"),
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        default="none",
        readonly=True,
        required=True,
        string="Holdout Validation",
    )
    holdout_progress = fields.Integer(readonly=True, string="Progress (%)")
    holdout_message = fields.Char(readonly=True)
    holdout_date = fields.Date(
        string="Calibration Up To",
        readonly=True,
        help="The holdout fit uses the purchases up to this day and predicts "
        "those after it.",
    )
    holdout_customers = fields.Integer(readonly=True)
    holdout_actual = fields.Float(
        digits=(16, 3),
        readonly=True,
        string="Actual Purchases per Customer",
        help="Mean repeat purchase occasions per customer in the holdout period.",
    )
    holdout_predicted = fields.Float(
        digits=(16, 3),
        readonly=True,
        string="Predicted Purchases per Customer",
        help="Mean expected purchases per customer in the holdout period, by "
        "the model fitted on the calibration period.",
    )
    holdout_error = fields.Float(
        digits=(16, 1),
        readonly=True,
        string="Error (%)",
        help="(Predicted - actual) / actual, in total: within about 10% the "
        "model predicts the company's purchases well.",
    )
    holdout_line_ids = fields.One2many(
        comodel_name="crm.lifecycle.value.holdout.line",
        inverse_name="model_id",
        readonly=True,
        string="Holdout by Calibration Purchases",
    )
    holdout_chart = fields.Json(compute="_compute_holdout_chart")

    @api.depends("company_id", "as_of_date")
    def _compute_name(self):
        for card in self:
            card.name = self.env._(
                "%(company)s as of %(date)s",
                company=card.company_id.name or "",
                date=card.as_of_date or "",
            )

    @api.depends("warning_codes")
    def _compute_warnings(self):
        labels = self._lifecycle_warning_labels()
        for card in self:
            card.warnings = "\n".join(
                labels.get(code, code) for code in card.warning_codes or []
            )

    def _compute_is_current(self):
        current = {self._lifecycle_current(company).id for company in self.company_id}
        for card in self:
            card.is_current = card.id in current

    @api.depends(
        "holdout_line_ids.actual", "holdout_line_ids.predicted", "holdout_state"
    )
    def _compute_holdout_chart(self):
        for card in self:
            lines = card.holdout_line_ids.sorted("bucket")
            card.holdout_chart = (
                {
                    "labels": lines.mapped("bucket_label"),
                    "actual": lines.mapped("actual"),
                    "predicted": lines.mapped("predicted"),
                    "actual_label": self.env._("Actual"),
                    "predicted_label": self.env._("Predicted"),
                    "x_label": self.env._("Purchases in the calibration period"),
                    "y_label": self.env._("Purchases per customer in the holdout"),
                }
                if lines
                else False
            )

    @api.constrains("holdout_weeks")
    def _check_holdout_weeks(self):
        for card in self:
            if not 1 <= card.holdout_weeks <= 520:
                raise ValidationError(
                    self.env._("The holdout period runs from 1 to 520 weeks.")
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(
                self.env._("Value models are fitted by the weekly job, not by hand.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and set(vals) - {"holdout_weeks"}:
            raise AccessError(
                self.env._(
                    "The fit of a value model cannot be edited; only the holdout "
                    "period can be set."
                )
            )
        return super().write(vals)

    @api.model
    def _lifecycle_warning_labels(self):
        """The warnings of the fit by code, in the reader's language."""
        return {
            "empty": self.env._("No customer has purchases up to the date."),
            "too_few_customers": self.env._(
                "Too few customers to fit the model: the fallback heuristic is used."
            ),
            "no_repeat_customers": self.env._(
                "No customer bought twice: the purchase model cannot be fitted "
                "and the fallback heuristic is used."
            ),
            "too_few_repeat_customers": self.env._(
                "Too few customers bought twice to fit the purchase model: the "
                "fallback heuristic is used."
            ),
            "gg_boundary": self.env._(
                "A parameter of the spend model reached its bound: read the "
                "expected order values with care."
            ),
            "invalid_rows": self.env._(
                "Customers with invalid figures were left out of the fit."
            ),
            "adjusted_rows": self.env._(
                "Customers with inconsistent figures were adjusted for the fit."
            ),
            "bgnbd_not_converged": self.env._(
                "The purchase model did not converge: the fallback heuristic is used."
            ),
            "bgnbd_invalid": self.env._(
                "The purchase model gave invalid parameters: the fallback "
                "heuristic is used."
            ),
            "bgnbd_boundary": self.env._(
                "A parameter of the purchase model reached its bound: read the "
                "predictions with care."
            ),
            "default_rate": self.env._(
                "Nobody bought twice: a default rate of one purchase a year is used."
            ),
            "nonpositive_spend": self.env._(
                "Repeat buyers with a zero or negative average spend were left out "
                "of the spend model."
            ),
            "gg_too_few": self.env._(
                "Too few repeat buyers with a positive spend to fit the spend "
                "model: the expected order value is the customer's own average."
            ),
            "gg_not_converged": self.env._(
                "The spend model did not converge: the expected order value is "
                "the customer's own average."
            ),
            "gg_invalid": self.env._(
                "The spend model gave invalid parameters: the expected order value "
                "is the customer's own average."
            ),
            "gg_mean_undefined": self.env._(
                "The spend model has no finite mean: the expected order value is "
                "the customer's own average."
            ),
            "no_positive_spend": self.env._(
                "No repeat buyer spent a positive amount: no expected order value."
            ),
        }

    # ------------------------------------------------------------
    # FIT
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_current(self, company, day=None):
        """The latest card of ``company`` (its root) fitted as of ``day`` or
        earlier (any day when empty)."""
        domain = [("company_id", "=", company.root_id.id)]
        if day:
            domain.append(("as_of_date", "<=", day))
        return self.sudo().search(domain, limit=1)

    @api.model
    def _lifecycle_fit(self, company, as_of):
        """Fit the value model of ``company`` (a root company) on its
        purchases up to ``as_of`` and return the new card."""
        company = company.root_id
        Scoring = self.env["crm.lifecycle.scoring"].sudo().with_company(company)
        start = time.perf_counter()
        data = Scoring._lifecycle_value_extract(company, as_of)
        extract_seconds = time.perf_counter() - start
        fit = vm.fit(data["x"], data["t_x"], data["T"], data["m"])
        vals = {
            "company_id": company.id,
            "as_of_date": as_of,
            "method": fit.method,
            "customers": fit.customers,
            "repeat_customers": fit.repeat_customers,
            "loglik_bgnbd": fit.loglik_bgnbd or 0.0,
            "loglik_gg": fit.loglik_gg or 0.0,
            "fit_seconds": fit.fit_seconds,
            "extract_seconds": extract_seconds,
            "warning_codes": list(fit.warnings),
            "fit_data": fit.to_dict(),
        }
        if fit.bgnbd:
            vals.update(
                bgnbd_r=fit.bgnbd.r,
                bgnbd_alpha=fit.bgnbd.alpha,
                bgnbd_a=fit.bgnbd.a,
                bgnbd_b=fit.bgnbd.b,
            )
        if fit.gamma_gamma:
            vals.update(
                gg_p=fit.gamma_gamma.p, gg_q=fit.gamma_gamma.q, gg_v=fit.gamma_gamma.v
            )
        vals.update(self._lifecycle_percentile_bounds(company, fit, data))
        return self.sudo().create(vals)

    @api.model
    def _lifecycle_percentile_bounds(self, company, fit, data):
        """The current- and potential-value boundaries of the company's
        percentile settings, on the customers of the fit."""
        low, high = company.lifecycle_value_low_pct, company.lifecycle_value_high_pct
        revenue = data["revenue_12m"][data["revenue_12m"] > 0]
        # the lifetime values of a fixed random sample of the customers: the
        # percentiles are as good and a million predictions are not needed
        rows = np.arange(len(data["x"]))
        if len(rows) > PERCENTILE_SAMPLE:
            rows = np.sort(
                np.random.default_rng(0).choice(rows, PERCENTILE_SAMPLE, replace=False)
            )
        clv = vm.clv(
            fit,
            data["x"][rows],
            data["t_x"][rows],
            data["T"][rows],
            data["m"][rows],
            company.lifecycle_clv_months,
            company.lifecycle_clv_discount / 100.0,
            company.lifecycle_clv_margin / 100.0,
        )
        clv = clv[np.isfinite(clv) & (clv > 0)]
        bounds = {}
        for prefix, values in (("current", revenue), ("potential", clv)):
            if len(values):
                bounds[f"{prefix}_low"] = float(np.percentile(values, low))
                bounds[f"{prefix}_high"] = float(np.percentile(values, high))
        return bounds

    @api.model
    def _cron_lifecycle_fit_value_models(self, today=None):
        """Weekly job: fit a new value model of every root company as of
        ``today``; the nightly scoring then rescores with it."""
        today = today or fields.Date.context_today(self)
        companies = self.env["res.company"].sudo().search([("parent_id", "=", False)])
        cards = self.browse()
        for done, company in enumerate(companies):
            cards |= self._lifecycle_fit(company, today)
            self._lifecycle_commit()
            self.env["ir.cron"]._notify_progress(
                done=done + 1, remaining=len(companies) - done - 1
            )
        return cards

    # ------------------------------------------------------------
    # HOLDOUT VALIDATION (background job)
    # ------------------------------------------------------------

    def action_run_holdout(self):
        """Queue the holdout validation of this card; the background job
        runs it and shows its progress here."""
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only lifecycle managers can validate value models.")
            )
        self.check_access("write")
        if self.holdout_state in ("queued", "running"):
            raise UserError(self.env._("The holdout validation is already queued."))
        self.sudo().write(
            {
                "holdout_state": "queued",
                "holdout_progress": 0,
                "holdout_message": False,
            }
        )
        self.env.ref(HOLDOUT_CRON).sudo()._trigger()
        return True

    @api.model
    def _cron_lifecycle_value_holdout(self):
        """Run the queued holdout validations; one left running by a crash
        starts again."""
        cards = self.sudo().search([("holdout_state", "in", ("queued", "running"))])
        testing = self.env["crm.lifecycle.run"]._lifecycle_testing()
        for card in cards:
            try:
                if testing:
                    with self.env.cr.savepoint():
                        card._lifecycle_run_holdout()
                else:
                    card._lifecycle_run_holdout()
            except Exception as error:
                # The validation failed for this card: keep the reason on the
                # card and go on with the others.
                _logger.exception(
                    "Holdout validation of value model %s failed", card.id
                )
                if not testing:
                    self.env.cr.rollback()
                self.env.invalidate_all()
                card.write(
                    {
                        "holdout_state": "failed",
                        "holdout_message": str(error)[:250],
                    }
                )
            self._lifecycle_commit()
        return cards

    def _lifecycle_holdout_progress(self, percent, state="running"):
        self.write({"holdout_progress": percent, "holdout_state": state})
        self._lifecycle_commit()
        self.env["ir.cron"]._notify_progress(done=percent, remaining=100 - percent)

    def _lifecycle_run_holdout(self):
        """Fit on the history up to D - h, predict the purchases of (D - h,
        D] and compare with the purchases made, by number of calibration
        purchases."""
        self.ensure_one()
        company = self.company_id
        calibration_end = self.as_of_date - relativedelta(weeks=self.holdout_weeks)
        Scoring = self.env["crm.lifecycle.scoring"].sudo().with_company(company)
        self._lifecycle_holdout_progress(5)
        data = Scoring._lifecycle_value_extract(company, calibration_end)
        if not len(data["partner_ids"]):
            raise UserError(
                self.env._(
                    "No customer bought before %(date)s: shorten the holdout period.",
                    date=calibration_end,
                )
            )
        self._lifecycle_holdout_progress(30)
        fit = vm.fit(data["x"], data["t_x"], data["T"], data["m"])
        self._lifecycle_holdout_progress(60)
        actual = Scoring._lifecycle_purchases_between(
            company, data["partner_ids"], calibration_end, self.as_of_date
        )
        self._lifecycle_holdout_progress(80)
        rows = vm.holdout(
            fit, data["x"], data["t_x"], data["T"], actual, self.holdout_weeks
        )
        # the last row is the total; empty buckets are left out
        total = rows[-1]
        rows = [row for row in rows[:-1] if row["customers"]]
        self.holdout_line_ids.unlink()
        self.write(
            {
                "holdout_date": calibration_end,
                "holdout_customers": total["customers"],
                "holdout_actual": total["actual"],
                "holdout_predicted": total["predicted"],
                "holdout_error": 100.0
                * (total["predicted"] - total["actual"])
                / total["actual"]
                if total["actual"]
                else 0.0,
                "holdout_line_ids": [
                    fields.Command.create(
                        {
                            "bucket": row["bucket"],
                            "customers": row["customers"],
                            "actual": row["actual"],
                            "predicted": row["predicted"],
                        }
                    )
                    for row in rows
                ],
                "holdout_message": self.env._(
                    "Fitted on %(customers)s customers up to %(date)s (%(method)s).",
                    customers=total["customers"],
                    date=calibration_end,
                    method=dict(
                        self._fields["method"]._description_selection(self.env)
                    )[fit.method],
                ),
            }
        )
        self._lifecycle_holdout_progress(100, state="done")

    @api.model
    def _lifecycle_commit(self):
        """Commit the job's progress as the scoring job does (not in tests):
        the card shows it and a crash keeps the finished companies."""
        self.env["crm.lifecycle.run"]._lifecycle_commit()
