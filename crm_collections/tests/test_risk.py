from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import SQL

from ..lib import risk_rules
from ..models.crm_collections_aging import BUCKETS, bucket_sql
from .test_payment_behaviour import PaymentFixture

# The components of the fixture's customer, by hand (see PaymentFixture):
# usual balance 11600 x 30 / 365 = 953.42, overdue 1000 / (2 x 953.42);
# 45 days overdue: aging bucket 31-60 days, 0.5 (the linear 45 / 90 of
# before gave the same); habit 0.5 x 21.4 / 30 + 0.5 x (1 - 0.029); 1
# broken promise; level 2 of 3.
COMPONENTS = {
    "overdue": 0.52,
    "days_overdue": 0.5,
    "payment_habit": 0.84,
    "broken_promises": 0.5,
    "dunning": 0.67,
}
# (0.52 + 0.5 + 0.84 + 0.5 x 0.5 + 0.5 x 0.67) / (1 + 1 + 1 + 0.5 + 0.5)
RAW = 61


@tagged("post_install", "-at_install")
class TestFinancialRisk(PaymentFixture):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # no mitigation unless a test sets it: the hand numbers do not depend
        # on the value model's prediction
        cls.company.collections_risk_clv_mitigation = 0.0

    def _with_clv(self, values):
        """Patch the value step's batch: the predicted lifetime value of
        ``values`` ({partner: value})."""
        Scoring = self.env.registry["crm.lifecycle.scoring"]
        original = Scoring._scoring_batch_value

        def batch_value(scoring, ctx, batch):
            original(scoring, ctx, batch)
            clv = batch.python_values.setdefault("predicted_clv", {})
            for partner, value in values.items():
                if partner.id in batch.partner_ids:
                    clv[partner.id] = value

        return patch.object(Scoring, "_scoring_batch_value", batch_value)

    def test_components_hand_computed(self):
        self._score()
        profile = self._profile(self.payer)
        components = profile.financial_risk_components
        self.assertEqual(
            {code: components[code] for code in risk_rules.COMPONENTS}, COMPONENTS
        )
        self.assertEqual(components["raw"], RAW)
        self.assertAlmostEqual(components["usual_balance"], 953.42)
        self.assertEqual(components["broken"], 1)
        self.assertEqual(profile.financial_risk_score, RAW)
        self.assertEqual(profile.financial_risk_level, "medium")
        # the plain-Python rules agree with the SQL
        self.assertEqual(
            risk_rules.raw_score(COMPONENTS, self.company._collections_risk_weights()),
            RAW,
        )
        # no scoring run: the explanation counts the days to today
        with freeze_time(self.TODAY):
            profile.invalidate_recordset()
            explanation = profile.financial_risk_explanation
        self.assertIn("Payment habit (12 months): 84% (weight 1.0)", explanation)
        self.assertIn("1 broken promise(s) to pay.", explanation)
        self.assertIn(
            "Oldest open invoice 45 days overdue (due 05/16/2026", explanation
        )
        self.assertIn("31-60 Days", explanation)
        # read 30 days later without a new scoring: 75 days would be another
        # bucket than the score's; the explanation keeps to the score's
        with freeze_time(self.TODAY + timedelta(days=30)):
            profile.invalidate_recordset()
            explanation = profile.financial_risk_explanation
        self.assertIn("Longest days overdue: 50%", explanation)
        self.assertIn(
            "Oldest open invoice due 05/16/2026 (31-60 Days at the last scoring).",
            explanation,
        )

    def test_hand_computed_at_the_next_bucket(self):
        """The fixture 15 days later: invoice C 60 days overdue, still the
        31-60 bucket (0.5); invoice E (300, due TODAY+10) is overdue too:
        overdue 1300 / (2 x 953.42) = 0.68; the rest is unchanged (same
        12-month and 90-day windows): (0.68 + 0.5 + 0.84 + 0.5 x 0.5 + 0.5 x
        0.67) / 4 = 0.651 -> 65. A day later, 61 days: 0.75, 0.714 -> 71."""
        self._score(today=self.TODAY + timedelta(days=15))
        profile = self._profile(self.payer)
        expected = {**COMPONENTS, "overdue": 0.68}
        components = profile.financial_risk_components
        self.assertEqual(
            {code: components[code] for code in risk_rules.COMPONENTS}, expected
        )
        self.assertEqual(profile.financial_risk_score, 65)
        self._score(today=self.TODAY + timedelta(days=16))
        components = profile.financial_risk_components
        self.assertEqual(
            {code: components[code] for code in risk_rules.COMPONENTS},
            {**expected, "days_overdue": 0.75},
        )
        self.assertEqual(profile.financial_risk_score, 71)

    def test_payment_habit_without_record_has_no_weight(self):
        """A customer with an overdue invoice but no payment: the habit does
        not apply. 100 overdue, no revenue in 12 months (the invoice is 400
        days old): overdue 1, days 1; (1 + 1) / 3 = 67."""
        debtor = self._customer("Debtor")
        self._overdue(debtor, 400, 100.0)
        self._score()
        profile = self._profile(debtor)
        self.assertNotIn("payment_habit", profile.financial_risk_components)
        self.assertEqual(profile.financial_risk_score, 67)

    def test_mitigation_by_lifetime_value(self):
        """Same debt, higher predicted value: lower score, by the rule of
        risk_rules.mitigated_score (30% at most)."""
        self.company.collections_risk_clv_mitigation = 0.3
        with self._with_clv({self.payer: 3000.0}):
            self._score()
        profile = self._profile(self.payer)
        # 30% x 3000 / (3000 + 1000) = 22.5 -> 23 points: 61 x 0.77 = 46.97
        self.assertEqual(profile.predicted_clv, 3000.0)
        self.assertEqual(profile.financial_risk_score, 47)
        self.assertEqual(profile.financial_risk_components["raw"], RAW)
        self.assertIn("lowered to 47", profile.financial_risk_explanation)
        with self._with_clv({self.payer: 9000.0}):
            self._score()
        # 27 points: 61 x 0.73 = 44.53
        self.assertEqual(profile.financial_risk_score, 45)
        with self._with_clv({self.payer: 0.0}):
            self._score()
        self.assertEqual(profile.financial_risk_score, RAW)

    def test_levels_history_and_threshold_change(self):
        Run = self.LifecycleRun
        Run._cron_lifecycle_scoring(today=self.TODAY)
        profile = self._profile(self.payer)
        self.assertEqual(profile.financial_risk_level, "medium")
        history = profile.financial_risk_history_ids
        self.assertRecordValues(
            history,
            [
                {
                    "date": self.TODAY,
                    "old_level": False,
                    "new_level": "medium",
                    "score": RAW,
                    "partner_id": self.payer.id,
                    "company_id": self.company.id,
                }
            ],
        )
        # same day again: nothing written, no history
        run = Run._cron_lifecycle_scoring(today=self.TODAY).filtered(
            lambda r: r.company_id == self.company
        )
        self.assertEqual(run.changed_count, 0)
        self.assertEqual(len(profile.financial_risk_history_ids), 1)
        # the high threshold lowered: re-evaluated the next run
        self.company.collections_risk_high_threshold = 60
        day = self.TODAY + timedelta(days=1)
        Run._cron_lifecycle_scoring(today=day)
        self.assertEqual(profile.financial_risk_level, "high")
        self.assertRecordValues(
            profile.financial_risk_history_ids[0],
            [{"date": day, "old_level": "medium", "new_level": "high"}],
        )
        self.assertEqual(Run._lifecycle_count_mismatches(self.company, day), 0)

    def test_weights_change_reevaluates(self):
        Run = self.LifecycleRun
        Run._cron_lifecycle_scoring(today=self.TODAY)
        profile = self._profile(self.payer)
        self.assertEqual(profile.financial_risk_score, RAW)
        self.company.collections_risk_weight_payment_habit = 0.0
        day = self.TODAY + timedelta(days=1)
        run = Run._cron_lifecycle_scoring(today=day).filtered(
            lambda r: r.company_id == self.company
        )
        self.assertIn("financial_risk", run.step_keys)
        # (0.52 + 0.5 + 0.25 + 0.335) / 3 = 0.535 -> 54: 46 days overdue now,
        # still the 31-60 bucket (0.5; the linear 46 / 90 gave 0.51, 0.538)
        self.assertEqual(profile.financial_risk_score, 54)
        self.assertNotIn("payment_habit", profile.financial_risk_components)
        self.assertEqual(Run._lifecycle_count_mismatches(self.company, day), 0)
        # the mitigation is in the key too: every customer is decided again
        self.company.collections_risk_clv_mitigation = 0.3
        with self._with_clv({self.payer: 3000.0}):
            Run._cron_lifecycle_scoring(today=day)
            self.assertEqual(profile.financial_risk_score, 42)  # 54 x 0.77
            self.assertEqual(Run._lifecycle_count_mismatches(self.company, day), 0)

    def test_incremental_agrees_with_scratch(self):
        """Day by day, a run's stored figures equal a from-scratch scoring's,
        as invoices get paid and days pass."""
        Run = self.LifecycleRun
        Run._cron_lifecycle_scoring(today=self.TODAY)
        self.assertEqual(Run._lifecycle_count_mismatches(self.company, self.TODAY), 0)
        invoice_c = self.env["account.move"].search(
            [("partner_id", "=", self.payer.id), ("amount_total", "=", 800.0)]
        )
        for days in (1, 2, 30, 60, 400):
            day = self.TODAY + timedelta(days=days)
            if days == 2:
                self._pay(invoice_c, -2)
            Run._cron_lifecycle_scoring(today=day)
            self.assertEqual(Run._lifecycle_count_mismatches(self.company, day), 0, day)
        # no payment in the last 12 months: the habit no longer applies
        profile = self._profile(self.payer)
        self.assertNotIn("payment_habit", profile.financial_risk_components)
        # invoice D, 410 days overdue on the last day
        self.assertEqual(profile.overdue_since, self.TODAY - timedelta(days=10))
        self.assertEqual(profile.financial_risk_components["days_overdue"], 1.0)
        with freeze_time(self.TODAY + timedelta(days=400)):
            profile.invalidate_recordset()
            self.assertEqual(profile.overdue_days_max, 410)

    def test_days_overdue_no_nightly_rewrite(self):
        """The profile stores the oldest due date and the component goes by
        aging bucket: day after day, a customer whose invoice stays overdue
        is not rewritten, until it crosses into the next bucket.

        One invoice of 1000 due 40 days before D, no payment, promise or
        dunning: overdue 1000 against a usual balance of 1000 x 30 / 365
        (82.19): 1; payment habit not applicable. Up to 60 days overdue
        (bucket 31-60, 0.5): (1 + 0.5) / 3 = 0.5 -> 50; from 61 days (61-90,
        0.75): (1 + 0.75) / 3 = 0.583 -> 58.
        """
        Run = self.LifecycleRun
        late = self._customer("Forty Days Late")
        self._overdue(late, 40, 1000.0)
        Run._cron_lifecycle_scoring(today=self.TODAY)
        profile = self._profile(late)
        self.assertEqual(profile.overdue_since, self.TODAY - timedelta(days=40))
        self.assertEqual(profile.financial_risk_components["days_overdue"], 0.5)
        self.assertEqual(profile.financial_risk_score, 50)

        def run_and_check_written(days):
            # the runs of one test share a transaction (and its NOW()): an
            # old write date shows whether the run wrote the profile
            self.env.cr.execute(
                "UPDATE crm_lifecycle_profile SET write_date = '2000-01-01' "
                "WHERE id = %s",
                [profile.id],
            )
            self.env.invalidate_all()
            day = self.TODAY + timedelta(days=days)
            Run._cron_lifecycle_scoring(today=day)
            self.assertEqual(Run._lifecycle_count_mismatches(self.company, day), 0)
            self.env.invalidate_all()
            return profile.write_date.year != 2000

        for days in (1, 2, 20):  # 41, 42, 60 days overdue: same bucket
            self.assertFalse(run_and_check_written(days), days)
            self.assertEqual(profile.financial_risk_score, 50)
        with freeze_time(self.TODAY + timedelta(days=20)):
            profile.invalidate_recordset()
            self.assertEqual(profile.overdue_days_max, 60)
            self.assertIn("60 days overdue", profile.financial_risk_explanation)
        # 61 days overdue: the next bucket, the score changes
        self.assertTrue(run_and_check_written(21))
        self.assertEqual(profile.financial_risk_components["days_overdue"], 0.75)
        self.assertEqual(profile.financial_risk_score, 58)
        self.assertEqual(profile.overdue_since, self.TODAY - timedelta(days=40))
        self.assertFalse(run_and_check_written(22))

    def test_days_overdue_buckets_match_aging(self):
        """The component's buckets are the receivables aging's."""
        self.env.cr.execute(
            SQL(
                "SELECT d, %s FROM generate_series(-1, 120) d",
                bucket_sql(SQL("d")),
            )
        )
        for days, bucket in self.env.cr.fetchall():
            self.assertEqual(risk_rules.days_overdue_bucket(days), bucket, days)
        keys = [key for key, _label in BUCKETS]
        self.assertEqual(
            [key for key, _last, _value in risk_rules.DAYS_OVERDUE_BUCKETS]
            + [risk_rules.DAYS_OVERDUE_OVER[0]],
            keys,
        )

    def test_churn_component_through_the_hook(self):
        self.company.lifecycle_churn_weight_payment = 0.0
        self._score()
        profile = self._profile(self.payer)
        self.assertNotIn("payment_problems", profile.churn_components or {})
        before = profile.churn_risk
        self.company.lifecycle_churn_weight_payment = 1.0
        self._score()
        # medium risk before mitigation (0.5), 1 broken promise (0.5)
        self.assertEqual(profile.churn_components["payment_problems"], 0.5)
        self.assertNotEqual(profile.churn_risk, before)
        self.assertIn("Payment problems", profile.churn_explanation)
        # a quiet customer: not applicable, its churn risk unchanged
        quiet = self._customer("Good payer")
        self._overdue(quiet, -20, 100.0, invoice_date=self.TODAY - timedelta(days=5))
        self._score()
        self.assertNotIn("payment_problems", self._profile(quiet).churn_components)

    def test_hold_by_risk_score(self):
        """The payer scores 61 (medium) with 1000 overdue: a threshold of 60
        puts it on hold, 62 does not; paying everything lifts the hold."""
        Hold = self.env["crm.collections.hold"]
        self._score()
        self.assertEqual(self._profile(self.payer).financial_risk_score, RAW)
        self.company.crm_collections_hold_risk_score = RAW + 1
        created, __ = Hold._collections_evaluate_holds(self.company, self.TODAY)
        self.assertNotIn(self.payer, created.partner_id)
        self.company.crm_collections_hold_risk_score = RAW
        created, __ = Hold._collections_evaluate_holds(self.company, self.TODAY)
        hold = created.filtered(lambda h: h.partner_id == self.payer)
        self.assertEqual(hold.reason, "risk")
        self.assertEqual(hold.amount, 1000.0)
        self.assertIn(f"Financial risk {RAW}/100", hold.details)
        # idempotent
        created, __ = Hold._collections_evaluate_holds(self.company, self.TODAY)
        self.assertFalse(created)
        # the score falls under the threshold at the next scoring: lifted
        self.company.crm_collections_hold_risk_score = RAW + 1
        __, lifted = Hold._collections_evaluate_holds(self.company, self.TODAY)
        self.assertEqual(lifted, hold)
        with self.assertRaises(ValidationError):
            self.company.crm_collections_hold_risk_score = 101

    def test_credit_hold_in_churn_component(self):
        """A customer with an overdue invoice and a low financial risk gets
        the payment-problems churn component only once it is on hold."""
        self.company.lifecycle_churn_weight_payment = 1.0
        debtor = self._customer("Small Debtor")
        self._overdue(debtor, 5, 10.0, invoice_date=self.TODAY - timedelta(days=20))
        # a large invoice not yet due: 10 overdue is nothing to its revenue
        self._overdue(
            debtor, -20, 100000.0, invoice_date=self.TODAY - timedelta(days=5)
        )
        self._score()
        profile = self._profile(debtor)
        self.assertEqual(profile.financial_risk_level, "low")
        self.assertFalse((profile.churn_components or {}).get("payment_problems"))
        self.env["crm.collections.hold"]._collections_put_on_hold(
            debtor, self.company, "manual", {debtor.id: "Cheque returned"}
        )
        self._score()
        self.assertEqual(profile.churn_components["payment_problems"], 1)
        self.assertIn("credit hold", profile.churn_explanation)

    def test_users_cannot_write_engine_fields(self):
        collector = new_test_user(
            self.env,
            login="risk_collector",
            groups="crm_collections.group_collections_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self._score()
        profile = self._profile(self.payer).with_user(collector)
        self.assertEqual(profile.financial_risk_score, RAW)  # can read
        for vals in (
            {"financial_risk_score": 0},
            {"financial_risk_level": "low"},
            {"financial_risk_components": {}},
            {"overdue_amount": 0.0},
            {"overdue_since": self.TODAY},
            {"payment_on_time_share": 1.0},
            {"promise_kept_rate": 1.0},
        ):
            with self.assertRaises(AccessError):
                profile.write(vals)
        with self.assertRaises(AccessError):
            self.env["crm.collections.risk.history"].with_user(collector).create(
                {
                    "profile_id": profile.id,
                    "partner_id": self.payer.id,
                    "company_id": self.company.id,
                    "date": self.TODAY,
                }
            )

    def test_multi_company(self):
        """The other company's debt stays in its own profile; its users do
        not read this company's risk history."""
        self.env["account.move"].with_company(self.company_2).create(
            {
                "move_type": "out_invoice",
                "partner_id": self.payer.id,
                "company_id": self.company_2.id,
                "invoice_date": self.TODAY - timedelta(days=100),
                "invoice_date_due": self.TODAY - timedelta(days=100),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Goods", "quantity": 1, "price_unit": 5000.0}
                    )
                ],
            }
        ).action_post()
        Run = self.LifecycleRun
        Run._cron_lifecycle_scoring(today=self.TODAY)
        self.assertEqual(self._profile(self.payer).overdue_amount, 1000.0)
        other = self._profile(self.payer, self.company_2)
        self.assertGreater(other.overdue_amount, 1000.0)
        self.assertEqual(other.overdue_since, self.TODAY - timedelta(days=100))
        self.assertFalse(other.payment_days_late_avg)
        self.assertNotIn("broken", other.financial_risk_components)
        other_user = new_test_user(
            self.env,
            login="risk_other",
            groups="crm_collections.group_collections_user",
            company_id=self.company_2.id,
            company_ids=[Command.set(self.company_2.ids)],
        )
        History = (
            self.env["crm.collections.risk.history"]
            .with_user(other_user)
            .with_context(allowed_company_ids=self.company_2.ids)
        )
        self.assertEqual(
            History.search([("partner_id", "=", self.payer.id)]).company_id,
            self.company_2,
        )

    def test_settings_constraints(self):
        with self.assertRaises(ValidationError):
            self.company.collections_risk_weight_overdue = -1
        with self.assertRaises(ValidationError):
            self.company.write(
                {
                    "collections_risk_weight_overdue": 0,
                    "collections_risk_weight_days_overdue": 0,
                    "collections_risk_weight_payment_habit": 0,
                    "collections_risk_weight_broken_promises": 0,
                    "collections_risk_weight_dunning": 0,
                }
            )
        with self.assertRaises(ValidationError):
            self.company.collections_risk_clv_mitigation = 1.5
        with self.assertRaises(ValidationError):
            self.company.collections_risk_medium_threshold = 80

    def test_dunning_runs_after_scoring(self):
        """A finished scoring run triggers the dunning job."""
        cron = self.env.ref("crm_collections.ir_cron_collections_run")
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        self.LifecycleRun._cron_lifecycle_scoring(today=self.TODAY)
        self.assertGreater(Trigger.search_count([("cron_id", "=", cron.id)]), before)

    def test_dunning_line_shows_customer_scores(self):
        """The collector sees the customer's risk, churn risk and value on
        the dunning line."""
        self._score()
        profile = self._profile(self.payer)
        line = self.Line.search([("partner_id", "=", self.payer.id)])
        self.assertEqual(line.customer_profile_id, profile)
        self.assertRecordValues(
            line,
            [
                {
                    "customer_risk_score": RAW,
                    "customer_risk_level": "medium",
                    "customer_churn_risk": profile.churn_risk,
                    "customer_churn_level": profile.churn_level,
                    "customer_predicted_clv": profile.predicted_clv,
                }
            ],
        )
        self.assertIn("Payment habit", line.customer_risk_explanation)
        # an accountant (read-only) reads the line's scores, not the profile
        accountant = new_test_user(
            self.env,
            login="risk_accountant",
            groups="account.group_account_readonly",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        line = line.with_user(accountant)
        line.invalidate_recordset()
        self.assertEqual(line.customer_risk_score, RAW)
        with self.assertRaises(AccessError):
            self._profile(self.payer).with_user(accountant).read(["overdue_amount"])
