from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import LifecycleCommon

GRACE = 30


@tagged("post_install", "-at_install")
class TestTier(LifecycleCommon):
    """Loyalty tiers: qualification, promotion, demotion after the grace
    period, history, rights and companies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tier = cls.env["crm.lifecycle.tier"]
        # tiers of other companies (demo data) are not this company's
        cls.company.lifecycle_tier_grace_days = GRACE
        cls.bronze, cls.silver, cls.gold, cls.platinum = Tier.create(
            [
                {"name": "T Bronze", "sequence": 10, "min_revenue_12m": 100},
                {"name": "T Silver", "sequence": 20, "min_revenue_12m": 1000},
                {
                    "name": "T Gold",
                    "sequence": 30,
                    "min_revenue_12m": 5000,
                    "min_tenure_days": 365,
                    "points_multiplier": 1.5,
                },
                {
                    "name": "T Platinum",
                    "sequence": 40,
                    "min_revenue_12m": 5000,
                    "min_predicted_clv": 1e9,
                },
            ]
        )
        today = cls.TODAY
        cls.loyal = cls._customer("Loyal Old Ltd")
        cls._invoice(cls.loyal, today - timedelta(days=400), 3000)
        cls._invoice(cls.loyal, today - timedelta(days=100), 6000)
        cls.young = cls._customer("Young Big Ltd")
        cls._invoice(cls.young, today - timedelta(days=100), 6000)
        cls.small = cls._customer("Small Ltd")
        cls._invoice(cls.small, today - timedelta(days=50), 500)
        cls.tiny = cls._customer("Tiny Ltd")
        cls._invoice(cls.tiny, today - timedelta(days=50), 50)
        cls.customers = cls.loyal | cls.young | cls.small | cls.tiny

    def _tiers(self, today=None):
        profiles = self._score(self.customers, today)
        return {profile.partner_id: profile.tier_id for profile in profiles}

    def _history(self, partner):
        return self.env["crm.lifecycle.tier.history"].search(
            [("partner_id", "=", partner.id)], order="date, id"
        )

    def test_thresholds_combined_highest_wins(self):
        tiers = self._tiers()
        # Gold needs the revenue AND the tenure; Platinum's CLV is out of reach
        self.assertEqual(tiers[self.loyal], self.gold)
        self.assertEqual(tiers[self.young], self.silver)
        self.assertEqual(tiers[self.small], self.bronze)
        self.assertFalse(tiers[self.tiny])
        profile = self._profile(self.loyal)
        self.assertEqual(profile.tier_date, self.TODAY)
        self.assertFalse(profile.tier_below_since)
        self.assertEqual(
            self.loyal.with_company(self.company).lifecycle_tier_id, self.gold
        )
        history = self._history(self.loyal)
        self.assertEqual(
            [(h.from_tier_id, h.to_tier_id, h.reason) for h in history],
            [(self.env["crm.lifecycle.tier"], self.gold, "new")],
        )
        self.assertEqual(history.date, self.TODAY)
        self.assertEqual(history.profile_id, profile)

    def test_promotion_at_once(self):
        self._tiers()
        day = self.TODAY + timedelta(days=1)
        self._invoice(self.small, day, 5000)
        tiers = self._tiers(day)
        self.assertEqual(tiers[self.small], self.silver)
        profile = self._profile(self.small)
        self.assertEqual(profile.tier_date, day)
        last = self._history(self.small)[-1]
        self.assertEqual(
            (last.from_tier_id, last.to_tier_id, last.reason, last.date),
            (self.bronze, self.silver, "promotion", day),
        )

    def test_demotion_only_after_grace(self):
        self._tiers()
        start = self.TODAY + timedelta(days=1)
        # a refund takes the 12-month revenue to 500: Bronze only
        self._invoice(self.loyal, start, 5500, move_type="out_refund")
        profile = self._profile(self.loyal)
        self._tiers(start)
        self.assertEqual(profile.tier_id, self.gold)
        self.assertEqual(profile.tier_below_since, start)
        self._tiers(start + timedelta(days=GRACE - 1))
        self.assertEqual(profile.tier_id, self.gold)
        self.assertEqual(profile.tier_below_since, start)
        self.assertEqual(len(self._history(self.loyal)), 1)
        end = start + timedelta(days=GRACE)
        self._tiers(end)
        self.assertEqual(profile.tier_id, self.bronze)
        self.assertFalse(profile.tier_below_since)
        self.assertEqual(profile.tier_date, end)
        last = self._history(self.loyal)[-1]
        self.assertEqual(
            (last.from_tier_id, last.to_tier_id, last.reason, last.date),
            (self.gold, self.bronze, "demotion", end),
        )

    def test_back_above_threshold_clears_grace(self):
        self._tiers()
        start = self.TODAY + timedelta(days=1)
        self._invoice(self.loyal, start, 5500, move_type="out_refund")
        self._tiers(start)
        profile = self._profile(self.loyal)
        self.assertEqual(profile.tier_below_since, start)
        back = start + timedelta(days=5)
        self._invoice(self.loyal, back, 6000)
        self._tiers(back)
        self.assertEqual(profile.tier_id, self.gold)
        self.assertFalse(profile.tier_below_since)
        # the grace starts again from the next fall, not from the first one
        fall = back + timedelta(days=1)
        self._invoice(self.loyal, fall, 6000, move_type="out_refund")
        self._tiers(fall + timedelta(days=GRACE - 1))
        self.assertEqual(profile.tier_id, self.gold)
        self.assertEqual(profile.tier_below_since, fall + timedelta(days=GRACE - 1))
        self.assertEqual(len(self._history(self.loyal)), 1)

    def test_runs_agree_with_scoring_from_scratch(self):
        """The nightly job (incremental) keeps the grace exactly: a
        from-scratch scoring of the same day changes nothing."""
        Run = self.Run
        Run._cron_lifecycle_scoring(today=self.TODAY)
        profile = self._profile(self.loyal)
        self.assertEqual(profile.tier_id, self.gold)
        start = self.TODAY + timedelta(days=1)
        self._invoice(self.loyal, start, 5500, move_type="out_refund")
        for day in (
            start,
            start + timedelta(days=GRACE - 1),
            start + timedelta(days=GRACE),
        ):
            Run._cron_lifecycle_scoring(today=day)
            self.assertEqual(Run._lifecycle_count_mismatches(self.company, day), 0)
        self.assertEqual(profile.tier_id, self.bronze)

    def test_threshold_change_reevaluates(self):
        Run = self.Run
        Run._cron_lifecycle_scoring(today=self.TODAY)
        self.assertEqual(self._profile(self.young).tier_id, self.silver)
        self.gold.min_tenure_days = 0
        day = self.TODAY + timedelta(days=1)
        Run._cron_lifecycle_scoring(today=day)
        self.assertEqual(self._profile(self.young).tier_id, self.gold)
        self.assertEqual(self._history(self.young)[-1].reason, "promotion")
        self.assertEqual(Run._lifecycle_count_mismatches(self.company, day), 0)
        # an archived tier is taken away at the next run
        self.gold.active = False
        Run._cron_lifecycle_scoring(today=day + timedelta(days=1))
        self.assertEqual(self._profile(self.young).tier_id, self.silver)
        self.assertEqual(self._history(self.young)[-1].reason, "reassigned")

    def test_user_cannot_write_tier(self):
        self._tiers()
        profile = self._profile(self.small)
        user = new_test_user(
            self.env,
            login="lc_tier_user",
            groups="base.group_user,crm_lifecycle.group_lifecycle_user",
            company_id=self.company.id,
        )
        for person in (user, self.manager):
            for vals in (
                {"tier_id": self.gold.id},
                {"tier_below_since": self.TODAY},
                {"tier_date": self.TODAY},
            ):
                with self.assertRaises(AccessError):
                    profile.with_user(person).write(vals)
        # users read tiers and their history, only managers configure them
        self.assertTrue(self.gold.with_user(user).name)
        self.assertTrue(self._history(self.small).with_user(user).read(["reason"]))
        with self.assertRaises(AccessError):
            self.gold.with_user(user).min_revenue_12m = 1
        with self.assertRaises(AccessError):
            self._history(self.small).with_user(self.manager).write({"reason": "new"})
        self.gold.with_user(self.manager).min_revenue_12m = 6000
        portal = new_test_user(
            self.env, login="lc_tier_portal", groups="base.group_portal"
        )
        with self.assertRaises(AccessError):
            self.gold.with_user(portal).read(["name"])

    def test_constraints(self):
        with self.assertRaises(ValidationError):
            self.gold.min_revenue_12m = -1
        with self.assertRaises(ValidationError):
            self.gold.points_multiplier = 0
        with self.assertRaises(ValidationError):
            self.silver.sequence = 30
        with self.assertRaises(ValidationError):
            self.company.lifecycle_tier_grace_days = -1
        self._tiers()
        with self.assertRaises(UserError):
            self.gold.unlink()

    def test_multi_company_isolation(self):
        company_2 = self.setup_other_company()["company"]
        tier_2 = (
            self.env["crm.lifecycle.tier"]
            .with_company(company_2)
            .create(
                {
                    "name": "Other Gold",
                    "sequence": 30,
                    "company_id": company_2.id,
                    "min_revenue_12m": 10,
                }
            )
        )
        self._invoice(self.young, self.TODAY - timedelta(days=3), 20, company=company_2)
        self._tiers()
        profile_2 = self._score(self.young, company=company_2)
        self.assertEqual(profile_2.tier_id, tier_2)
        self.assertEqual(self._profile(self.young).tier_id, self.silver)
        user = new_test_user(
            self.env,
            login="lc_tier_mc",
            groups="base.group_user,crm_lifecycle.group_lifecycle_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        Tier = self.env["crm.lifecycle.tier"].with_user(user)
        self.assertNotIn(tier_2, Tier.search([]))
        History = self.env["crm.lifecycle.tier.history"].with_user(user)
        self.assertEqual(
            History.search([("partner_id", "=", self.young.id)]).company_id,
            self.company,
        )
