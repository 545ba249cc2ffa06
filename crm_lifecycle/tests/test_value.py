import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import numpy as np

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from ..lib import value_model as vm
from ..models.crm_lifecycle_scoring import STEP_SEQUENCES
from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestValue(LifecycleCommon):
    """The value step and the value model card, on a small company whose
    purchase history supports a fit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Card = cls.env["crm.lifecycle.value.model"]
        rng = np.random.default_rng(7)
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Value customer {i}", "is_company": True} for i in range(40)]
        )
        start = cls.TODAY - timedelta(days=720)
        moves = []
        for index, partner in enumerate(cls.customers):
            first = start + timedelta(days=int(rng.integers(0, 400)))
            # every fourth customer buys once; the others every 20-90 days for
            # a while, then some stop
            days = [first]
            if index % 4:
                gap = int(rng.integers(20, 90))
                stop = first + timedelta(days=int(rng.integers(60, 700)))
                day = first + timedelta(days=gap)
                while day <= min(stop, cls.TODAY):
                    days.append(day)
                    day += timedelta(days=gap)
            for day in days:
                moves.append((partner, day, float(rng.integers(50, 500))))
        cls.invoices = cls.env["account.move"]
        for partner, day, amount in moves:
            cls.invoices |= cls._invoice(partner, day, amount)

    def test_fit_and_scores(self):
        profiles = self._score(self.customers)
        card = self.Card._lifecycle_current(self.company)
        self.assertTrue(card, "the first scoring fits a model when none exists")
        self.assertEqual(card.as_of_date, self.TODAY)
        self.assertEqual(card.customers, 40)
        self.assertEqual(
            card.repeat_customers,
            len(profiles.filtered(lambda p: p.purchase_count > 1)),
        )
        self.assertGreater(card.repeat_customers, 20)
        self.assertEqual(card.method, "bgnbd", card.warnings)
        self.assertTrue(card.is_current)
        fit = vm.ValueFit.from_dict(card.fit_data)
        for profile in profiles:
            self.assertEqual(profile.value_model_id, card)
            self.assertEqual(profile.value_date, self.TODAY)
            x = profile.purchase_count - 1
            t_x = (profile.last_purchase_date - profile.first_purchase_date).days / 7
            age = (self.TODAY - profile.first_purchase_date).days / 7
            expected = vm.p_alive(fit, np.array([x]), np.array([t_x]), np.array([age]))
            # the SQL of the step and the lib agree
            self.assertAlmostEqual(profile.p_alive, float(expected[0]), places=3)
            self.assertGreaterEqual(profile.predicted_clv, 0)
            for name in (
                "p_alive",
                "expected_purchases_30",
                "expected_purchases_365",
                "predicted_clv",
                "expected_order_value",
            ):
                self.assertTrue(math.isfinite(profile[name]), name)
            self.assertLessEqual(
                profile.expected_purchases_30, profile.expected_purchases_365
            )
            self.assertTrue(profile.next_purchase_date)
            self.assertGreater(profile.next_purchase_date, profile.last_purchase_date)
            if profile.purchase_count > 1:
                self.assertTrue(profile.repeat_avg_value)
            else:
                self.assertFalse(profile.repeat_avg_value)
                self.assertEqual(profile.p_alive, 1.0)

    def test_composed_and_update_paths_agree(self):
        """The value and churn selects give the same scores composed into
        the first INSERT (no prepare step before them) and as UPDATEs of the
        working table (an addon's prepare step before them, as the test
        addon adds)."""
        self._score(self.customers)
        Scoring = self.env.registry["crm.lifecycle.scoring"]
        steps = Scoring._scoring_steps
        components = Scoring._lifecycle_churn_components

        def core_steps(scoring):
            return [s for s in steps(scoring) if s.name in STEP_SEQUENCES]

        def core_components(scoring):
            return [
                c for c in components(scoring) if c.code in ("not_alive", "overdue")
            ]

        with (
            patch.object(Scoring, "_scoring_steps", core_steps),
            patch.object(Scoring, "_lifecycle_churn_components", core_components),
        ):
            self.assertFalse(
                [
                    s.name
                    for s in self.Scoring._scoring_ordered_steps()
                    if hasattr(self.Scoring, f"_scoring_prepare_{s.name}")
                ]
            )
            self.assertEqual(
                self.Run._lifecycle_count_mismatches(self.company, self.TODAY), 0
            )
        self.assertEqual(
            self.Run._lifecycle_count_mismatches(self.company, self.TODAY), 0
        )

    def test_repeat_avg_value(self):
        """The mean spend per repeat occasion: the first day is left out and
        invoices of one day make one occasion."""
        partner = self._customer("Repeat spender")
        self._invoice(partner, self.TODAY - timedelta(days=100), 1000)
        self._invoice(partner, self.TODAY - timedelta(days=50), 100)
        self._invoice(partner, self.TODAY - timedelta(days=50), 50)
        self._invoice(partner, self.TODAY - timedelta(days=10), 30)
        profile = self._score(partner)
        self.assertEqual(profile.purchase_count, 3)
        self.assertAlmostEqual(profile.repeat_avg_value, 90.0)

    def test_value_stable_across_days(self):
        """Value scores are as of the model's date: a night without purchases
        changes none of them; a new purchase moves the customer's."""
        self._score(self.customers)
        Run = self.Run
        Run._cron_lifecycle_scoring(today=self.TODAY)
        before = {
            p.partner_id.id: (p.p_alive, p.predicted_clv, p.value_date)
            for p in self._profile_all()
        }
        Run._cron_lifecycle_scoring(today=self.TODAY + timedelta(days=1))
        after = {
            p.partner_id.id: (p.p_alive, p.predicted_clv, p.value_date)
            for p in self._profile_all()
        }
        self.assertEqual(before, after)
        buyer = self.customers[1]
        self._invoice(buyer, self.TODAY + timedelta(days=2), 200)
        Run._cron_lifecycle_scoring(today=self.TODAY + timedelta(days=2))
        profile = self._profile(buyer)
        self.assertEqual(profile.value_date, self.TODAY + timedelta(days=2))
        self.assertEqual(
            self.Run._lifecycle_count_mismatches(
                self.company, self.TODAY + timedelta(days=2)
            ),
            0,
        )

    def _profile_all(self):
        return self.Profile.search(
            [
                ("partner_id", "in", self.customers.ids),
                ("company_id", "=", self.company.id),
            ]
        )

    def test_refit_rescores(self):
        self._score(self.customers)
        first = self.Card._lifecycle_current(self.company)
        cards = self.Card._cron_lifecycle_fit_value_models(
            today=self.TODAY + timedelta(days=7)
        )
        self.assertIn(self.company, cards.company_id)
        card = cards.filtered(lambda c: c.company_id == self.company)
        self.assertNotEqual(card, first)
        self.assertEqual(self.Card._lifecycle_current(self.company), card)
        # a back-test as of the first date still uses the first model
        self.assertEqual(self.Card._lifecycle_current(self.company, self.TODAY), first)
        profiles = self._score(self.customers, today=self.TODAY + timedelta(days=7))
        self.assertEqual(profiles.value_model_id, card)

    def test_value_segments(self):
        """Percentile levels split the customers with purchases; the segment
        follows the two levels."""
        profiles = self._score(self.customers)
        card = self.Card._lifecycle_current(self.company)
        self.assertLess(card.current_low, card.current_high)
        levels = profiles.mapped("value_current_level")
        self.assertEqual(set(levels) - {False}, {"low", "medium", "high"})
        for profile in profiles:
            segment = profile.value_segment_id
            self.assertEqual(segment.current_level, profile.value_current_level)
            self.assertEqual(segment.potential_level, profile.value_potential_level)
        # amounts: everyone above the high amounts is high/high
        self.company.write(
            {
                "lifecycle_value_bounds": "amount",
                "lifecycle_value_current_low": 0.0,
                "lifecycle_value_current_high": 0.0,
                "lifecycle_value_potential_low": 0.0,
                "lifecycle_value_potential_high": 0.0,
            }
        )
        profiles = self._score(self.customers)
        self.assertEqual(set(profiles.mapped("value_current_level")), {"high"})
        self.assertEqual(set(profiles.mapped("value_potential_level")), {"high"})

    def test_settings_constraints(self):
        with self.assertRaises(UserError):
            self.company.lifecycle_clv_months = 0
        with self.assertRaises(UserError):
            self.company.lifecycle_value_low_pct = 80
        with self.assertRaises(UserError):
            self.company.lifecycle_churn_weight_alive = -1


@tagged("post_install", "-at_install")
class TestValueDegenerate(LifecycleCommon):
    """Data that cannot support a fit: the job falls back, says so on the
    card and writes finite numbers."""

    def _check_finite(self, profiles):
        for profile in profiles:
            for name in (
                "p_alive",
                "expected_purchases_30",
                "expected_purchases_90",
                "expected_purchases_365",
                "expected_order_value",
                "predicted_clv",
            ):
                self.assertTrue(math.isfinite(profile[name]), name)

    def test_five_customers(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Tiny {i}", "is_company": True} for i in range(5)]
        )
        for index, partner in enumerate(partners):
            for k in range(index + 1):
                self._invoice(partner, self.TODAY - timedelta(days=30 * k + 5), 100)
        profiles = self._score(partners)
        card = self.env["crm.lifecycle.value.model"]._lifecycle_current(self.company)
        self.assertEqual(card.method, "heuristic")
        self.assertIn("too_few_customers", card.warning_codes)
        self.assertIn("fallback", card.warnings.lower())
        self._check_finite(profiles)
        self.assertTrue(all(0 <= p.p_alive <= 1 for p in profiles))

    def test_no_repeat_and_negative_spend(self):
        partners = self.env["res.partner"].create(
            [{"name": f"Once {i}", "is_company": True} for i in range(30)]
        )
        for index, partner in enumerate(partners):
            self._invoice(partner, self.TODAY - timedelta(days=index + 1), 100)
        # a customer whose only repeat purchase is refunded to below zero
        self._invoice(partners[0], self.TODAY, 10)
        self._invoice(partners[0], self.TODAY, 50, move_type="out_refund")
        profiles = self._score(partners)
        card = self.env["crm.lifecycle.value.model"]._lifecycle_current(self.company)
        self.assertEqual(card.method, "heuristic")
        self._check_finite(profiles)

    def test_no_customer(self):
        """A company without a purchase gets a card saying so, and scoring
        does not fail."""
        company = self.env["res.company"].create({"name": "Empty Co"})
        card = self.env["crm.lifecycle.value.model"]._lifecycle_fit(company, self.TODAY)
        self.assertEqual(card.customers, 0)
        self.assertEqual(card.method, "heuristic")
        self.assertFalse(
            self.Scoring._scoring_score_company(company, self.TODAY)["changed"]
        )


@tagged("post_install", "-at_install")
class TestValueModelCard(LifecycleCommon):
    """Holdout validation from the card, and the card's access rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Card = cls.env["crm.lifecycle.value.model"]
        # Hand-checked holdout fixture: 26 weeks of holdout before TODAY.
        cls.cut = cls.TODAY - timedelta(weeks=26)
        cls.partners = cls.env["res.partner"].create(
            [{"name": f"Holdout {i}", "is_company": True} for i in range(24)]
        )
        cls.actual = {}
        for index, partner in enumerate(cls.partners):
            first = cls.cut - timedelta(days=300 - 5 * index)
            # calibration: index % 4 repeat purchases, 30 days apart
            repeats = index % 4
            for k in range(repeats + 1):
                cls._invoice(partner, first + timedelta(days=30 * k), 100 + 10 * k)
            # holdout: customers with an even index buy twice, on the same
            # day as another invoice for the first (one occasion)
            bought = 0
            if index % 2 == 0:
                cls._invoice(partner, cls.cut + timedelta(days=10), 80)
                cls._invoice(partner, cls.cut + timedelta(days=10), 20)
                cls._invoice(partner, cls.cut + timedelta(days=40), 90)
                bought = 2
            cls.actual[partner.id] = (repeats, bought)
        cls.card = cls.Card._lifecycle_fit(cls.company, cls.TODAY)

    def test_holdout(self):
        self.card.with_user(self.manager).holdout_weeks = 26
        self.card.with_user(self.manager).action_run_holdout()
        self.assertEqual(self.card.holdout_state, "queued")
        with self.assertRaises(UserError):
            self.card.with_user(self.manager).action_run_holdout()
        self.Card._cron_lifecycle_value_holdout()
        self.assertEqual(self.card.holdout_state, "done", self.card.holdout_message)
        self.assertEqual(self.card.holdout_progress, 100)
        self.assertEqual(self.card.holdout_date, self.cut)
        self.assertEqual(self.card.holdout_customers, 24)
        # by hand: 12 customers buy 2 occasions each in the holdout, 24 customers
        self.assertAlmostEqual(self.card.holdout_actual, 1.0)
        lines = self.card.holdout_line_ids.sorted("bucket")
        self.assertEqual(lines.mapped("bucket"), [0, 1, 2, 3])
        self.assertEqual(lines.mapped("customers"), [6, 6, 6, 6])
        for line in lines:
            # bucket k holds indexes k, k+4, ...: half of them even when k is
            # even (all even) or odd (none)
            expected = 2.0 if line.bucket % 2 == 0 else 0.0
            self.assertAlmostEqual(line.actual, expected)
            self.assertGreater(line.predicted, 0)
        self.assertAlmostEqual(
            self.card.holdout_predicted,
            sum(line.predicted * line.customers for line in lines) / 24,
            places=3,
        )
        chart = self.card.holdout_chart
        self.assertEqual(chart["labels"], ["0", "1", "2", "3"])
        self.assertEqual(chart["actual"], lines.mapped("actual"))

    def test_holdout_failure_is_shown(self):
        """A holdout period longer than the history fails with its reason
        on the card, and the job goes on."""
        self.card.holdout_weeks = 500
        self.card.action_run_holdout()
        with mute_logger("odoo.addons.crm_lifecycle.models.crm_lifecycle_value_model"):
            self.Card._cron_lifecycle_value_holdout()
        self.assertEqual(self.card.holdout_state, "failed")
        self.assertIn("shorten", self.card.holdout_message)

    def test_access(self):
        user = new_test_user(
            self.env,
            login="lc_value_user",
            groups="base.group_user,crm_lifecycle.group_lifecycle_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        card = self.card.with_user(user)
        self.assertTrue(card.bgnbd_r or card.method == "heuristic")
        with self.assertRaises(AccessError):
            card.holdout_weeks = 10
        with self.assertRaises(AccessError):
            card.action_run_holdout()
        with self.assertRaises(AccessError):
            self.Card.with_user(user).create(
                {"company_id": self.company.id, "as_of_date": self.TODAY}
            )
        manager_card = self.card.with_user(self.manager)
        with self.assertRaises(AccessError):
            manager_card.bgnbd_r = 1.0
        with self.assertRaises(AccessError):
            self.Card.with_user(self.manager).create(
                {
                    "company_id": self.company.id,
                    "as_of_date": self.TODAY,
                    "method": "bgnbd",
                }
            )
        manager_card.holdout_weeks = 10
        self.assertEqual(self.card.holdout_weeks, 10)
        # another company's cards are invisible
        other = self.env["res.company"].create({"name": "Other value company"})
        other_card = self.Card._lifecycle_fit(other, self.TODAY)
        self.assertNotIn(
            other_card, self.Card.with_user(user).search([("id", "=", other_card.id)])
        )
        with self.assertRaises(AccessError):
            other_card.with_user(user).read(["bgnbd_r"])
        portal = new_test_user(
            self.env, login="lc_value_portal", groups="base.group_portal"
        )
        with self.assertRaises(AccessError):
            self.card.with_user(portal).read(["bgnbd_r"])


@tagged("post_install", "-at_install")
class TestValueCdnow(LifecycleCommon):
    """The correctness anchor through the ORM: the CDNOW sample's
    transactions of the calibration period (up to 1997-09-30) posted as
    invoices, the figures derived by the pipeline, the published fit."""

    CALIBRATION_END = date(1997, 9, 30)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        path = Path(__file__).parents[1] / "lib" / "tests" / "data" / "CDNOW_sample.txt"
        spend = defaultdict(float)
        for line in path.read_text().splitlines():
            _master, customer, day, _cds, amount = line.split()
            day = datetime.strptime(day, "%Y%m%d").date()
            if day <= cls.CALIBRATION_END:
                spend[int(customer), day] += float(amount)
        names = sorted({customer for customer, _day in spend})
        partners = cls.env["res.partner"].create(
            [{"name": f"CDNOW {name}", "is_company": True} for name in names]
        )
        by_name = dict(zip(names, partners, strict=True))
        journal = cls.company_data["default_journal_sale"]
        Demo = cls.env["crm.lifecycle.demo"]
        vals = [
            Demo._demo_invoice_vals(
                "out_invoice",
                by_name[customer],
                journal,
                cls.CALIBRATION_END,
                (cls.CALIBRATION_END - day).days,
                round(amount, 2),
            )
            for (customer, day), amount in sorted(spend.items())
        ]
        cls.env["account.move"].create(vals).action_post()

    def test_cdnow_fit_from_invoices(self):
        card = self.env["crm.lifecycle.value.model"]._lifecycle_fit(
            self.company, self.CALIBRATION_END
        )
        self.assertEqual(card.customers, 2357)
        self.assertEqual(card.method, "bgnbd", card.warnings)
        for value, published in (
            (card.bgnbd_r, 0.243),
            (card.bgnbd_alpha, 4.41),
            (card.bgnbd_a, 0.793),
            (card.bgnbd_b, 2.43),
        ):
            self.assertEqual(float(f"{value:.3g}"), published)
        self.assertAlmostEqual(card.loglik_bgnbd, -9582.4, delta=0.05)
        self.assertEqual(card.repeat_customers, 946)
        for value, published in (
            (card.gg_p, 6.25),
            (card.gg_q, 3.74),
            (card.gg_v, 15.4),
        ):
            self.assertEqual(float(f"{value:.3g}"), published)
