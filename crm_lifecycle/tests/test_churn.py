from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestChurnRisk(LifecycleCommon):
    """The churn step: components, weights, levels and the explanation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the components of other installed addons (support, payments) are
        # left out: these tests check this addon's own
        own = {"not_alive", "overdue"}
        cls.company.write(
            {
                component.weight_field: 0.0
                for component in cls.env[
                    "crm.lifecycle.scoring"
                ]._lifecycle_churn_components()
                if component.code not in own
            }
        )
        cls.company.write(
            {
                "lifecycle_churn_weight_alive": 0.6,
                "lifecycle_churn_weight_overdue": 0.4,
                "lifecycle_churn_medium_threshold": 40,
                "lifecycle_churn_high_threshold": 70,
            }
        )
        # a regular buyer, monthly, who stopped 5 months ago; a regular buyer
        # still buying; a one-time buyer of last week
        cls.lapsed = cls._customer("Lapsed")
        cls.regular = cls._customer("Regular")
        cls.once = cls._customer("Once")
        for k in range(8):
            cls._invoice(cls.lapsed, cls.TODAY - timedelta(days=150 + 30 * k), 100)
            cls._invoice(cls.regular, cls.TODAY - timedelta(days=5 + 30 * k), 100)
        cls._invoice(cls.once, cls.TODAY - timedelta(days=7), 100)
        cls.customers = cls.lapsed | cls.regular | cls.once

    def test_components_and_levels(self):
        profiles = self._score(self.customers)
        lapsed, regular, once = (
            profiles.filtered(lambda p, partner=partner: p.partner_id == partner)
            for partner in (self.lapsed, self.regular, self.once)
        )
        # the lapsed customer is 150 days past a 30-day rhythm: overdue = 1
        self.assertEqual(lapsed.churn_components["overdue"], 1.0)
        self.assertEqual(regular.churn_components["overdue"], 0.0)
        # one-time buyer: the default delay (120 days) has not passed
        self.assertEqual(once.churn_components["overdue"], 0.0)
        for profile in profiles:
            components = profile.churn_components
            self.assertAlmostEqual(
                components["not_alive"], round(1 - profile.p_alive, 2), places=2
            )
            expected = round(
                100 * (0.6 * components["not_alive"] + 0.4 * components["overdue"])
            )
            self.assertEqual(profile.churn_risk, expected)
        self.assertEqual(lapsed.churn_level, "high")
        self.assertEqual(regular.churn_level, "low")
        self.assertEqual(lapsed.churn_level_date, self.TODAY)
        self.assertIn("Time since the last purchase", lapsed.churn_explanation)

    def test_level_date(self):
        """The level date stays while the level stays, and moves with it."""
        self.Run._cron_lifecycle_scoring(today=self.TODAY)
        profile = self._profile(self.regular)
        self.assertEqual(profile.churn_level, "low")
        self.assertEqual(profile.churn_level_date, self.TODAY)
        later = self.TODAY + timedelta(days=10)
        self.Run._cron_lifecycle_scoring(today=later)
        self.assertEqual(profile.churn_level_date, self.TODAY)
        # 200 days later the regular buyer is overdue: its level rises
        much_later = self.TODAY + timedelta(days=200)
        self.Run._cron_lifecycle_scoring(today=much_later)
        self.assertNotEqual(profile.churn_level, "low")
        self.assertEqual(profile.churn_level_date, much_later)
        self.assertEqual(
            self.Run._lifecycle_count_mismatches(self.company, much_later), 0
        )

    def test_weights(self):
        """A zero weight leaves the component out of the risk and of the
        explanation."""
        self.company.lifecycle_churn_weight_alive = 0.0
        profiles = self._score(self.customers)
        for profile in profiles:
            self.assertNotIn("not_alive", profile.churn_components)
            self.assertEqual(
                profile.churn_risk, round(100 * profile.churn_components["overdue"])
            )

    def test_no_purchase_no_risk(self):
        prospect = self._customer("Prospect with lead")
        self.env["crm.lead"].create(
            {"name": "Deal", "partner_id": prospect.id, "type": "opportunity"}
        )
        profile = self._score(prospect)
        self.assertTrue(profile)
        self.assertFalse(profile.churn_risk)
        self.assertFalse(profile.churn_level)
        self.assertFalse(profile.p_alive)

    def test_explanation_in_reader_language(self):
        """Explanations are stored as codes and numbers and rendered in the
        reader's language."""
        self.env["res.lang"]._activate_lang("ro_RO")
        profile = self._score(self.lapsed)
        self.assertEqual(set(profile.churn_components), {"not_alive", "overdue"})
        english = profile.with_context(lang="en_US").churn_explanation
        romanian = profile.with_context(lang="ro_RO").churn_explanation
        self.assertIn("Time since the last purchase", english)
        self.assertIn("Timpul scurs de la ultima achiziție", romanian)
        self.assertNotIn("Time since the last purchase", romanian)

    def test_engine_fields_read_only(self):
        user = new_test_user(
            self.env,
            login="lc_churn_user",
            groups="base.group_user,crm_lifecycle.group_lifecycle_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        profile = self._score(self.lapsed).with_user(user)
        for vals in (
            {"churn_risk": 0},
            {"churn_level": "low"},
            {"p_alive": 1.0},
            {"predicted_clv": 1e9},
            {"churn_components": {}},
        ):
            with self.assertRaises(AccessError):
                profile.write(vals)


@tagged("post_install", "-at_install")
class TestProfilingOptOut(LifecycleCommon):
    """The right to object to profiling."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Optout {i}", "is_company": True} for i in range(12)]
        )
        for index, partner in enumerate(cls.customers):
            for k in range(index % 5 + 1):
                cls._invoice(
                    partner,
                    cls.TODAY - timedelta(days=20 * index + 40 * k),
                    100 + index,
                )

    def test_opt_out_clears_and_skips(self):
        profiles = self._score(self.customers)
        objector = self.customers[3]
        profile = profiles.filtered(lambda p: p.partner_id == objector)
        self.assertTrue(profile.churn_level)
        self.assertTrue(profile.rfm_code)
        contact = self.env["res.partner"].create(
            {"name": "Objector's contact", "parent_id": objector.id}
        )
        objector.lifecycle_no_profiling = True
        # commercial field: the contact follows
        self.assertTrue(contact.lifecycle_no_profiling)
        # cleared at once
        for name in (
            "p_alive",
            "predicted_clv",
            "churn_risk",
            "churn_level",
            "churn_components",
            "rfm_code",
            "segment_id",
            "value_segment_id",
        ):
            self.assertFalse(profile[name], name)
        # and kept empty by every scoring; figures and stage stay
        self.Run._cron_lifecycle_scoring(today=self.TODAY)
        self.assertFalse(profile.p_alive)
        self.assertFalse(profile.churn_level)
        self.assertFalse(profile.rfm_code)
        self.assertTrue(profile.no_profiling)
        self.assertTrue(profile.purchase_count)
        self.assertTrue(profile.stage_id)
        profile._lifecycle_recompute(self.TODAY)
        self.assertFalse(profile.p_alive)
        self.assertFalse(profile.rfm_code)
        self.assertEqual(
            self.Run._lifecycle_count_mismatches(self.company, self.TODAY), 0
        )
        # left out of the model fit
        card = self.env["crm.lifecycle.value.model"]._lifecycle_fit(
            self.company, self.TODAY
        )
        self.assertEqual(card.customers, 11)
        # objection withdrawn: scored again by the next run
        objector.lifecycle_no_profiling = False
        self.Run._cron_lifecycle_scoring(today=self.TODAY)
        self.assertTrue(profile.p_alive)
        self.assertTrue(profile.rfm_code)

    def test_portal_sees_no_score(self):
        self._score(self.customers)
        customer = self.customers[0]
        portal = new_test_user(
            self.env,
            login="lc_optout_portal",
            groups="base.group_portal",
            partner_id=customer.id,
        )
        partner = customer.with_user(portal)
        for name in (
            "lifecycle_churn_risk",
            "lifecycle_p_alive",
            "lifecycle_predicted_clv",
        ):
            with self.assertRaises(AccessError):
                partner.read([name])
        with self.assertRaises(AccessError):
            self.env["crm.lifecycle.profile"].with_user(portal).search_read(
                [], ["churn_risk"]
            )
