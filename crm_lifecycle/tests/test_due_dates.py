from datetime import date, timedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models.crm_lifecycle_step_due_dates import pick_due_date
from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestDueDates(LifecycleCommon):
    """The ``due_dates`` step: anniversary, service and repurchase due
    dates, hand-checked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.lifecycle_repurchase_lead_days = 10
        Category = cls.env["product.category"]
        cls.service_categ = Category.create(
            {"name": "Serviced", "lifecycle_service_days": 180}
        )
        cls.owned_categ = Category.create(
            {"name": "Owned", "lifecycle_ownership_days": 1000}
        )
        cls.serviced = cls._product("Boiler", cls.service_categ)
        cls.owned = cls._product("Car", cls.owned_categ)
        cls.plain = cls._product("Paper", Category.create({"name": "Plain"}))
        cls.buyer = cls._customer("Buyer")
        cls._sell(cls.buyer, date(2024, 3, 15), cls.serviced)
        cls._sell(cls.buyer, date(2026, 1, 10), cls.owned)
        cls._sell(cls.buyer, date(2026, 5, 1), cls.serviced)
        cls._sell(cls.buyer, date(2026, 6, 1), cls.plain)
        # first purchase a year ago today: the anniversary is today
        cls.yearling = cls._customer("Yearling")
        cls._sell(cls.yearling, date(2025, 6, 30), cls.plain)
        # first purchase today: the first anniversary is in a year
        cls.newcomer = cls._customer("Newcomer")
        cls._sell(cls.newcomer, cls.TODAY, cls.plain)
        # a leap day
        cls.leap = cls._customer("Leap")
        cls._sell(cls.leap, date(2024, 2, 29), cls.serviced)

    @classmethod
    def _product(cls, name, categ):
        return cls.env["product.product"].create(
            {"name": name, "categ_id": categ.id, "lst_price": 100.0}
        )

    @classmethod
    def _sell(cls, partner, day, product):
        return cls.init_invoice(
            "out_invoice",
            partner=partner,
            invoice_date=day,
            products=[product],
            taxes=[],
            post=True,
        )

    def _scored(self):
        partners = self.buyer | self.yearling | self.newcomer | self.leap
        profiles = self._score(partners)
        return {profile.partner_id: profile for profile in profiles}

    def test_pick_due_date(self):
        today = date(2026, 6, 30)
        past, soon, later = date(2026, 1, 1), date(2026, 7, 5), date(2027, 1, 1)
        self.assertEqual(pick_due_date([later, soon, past, None], today), soon)
        self.assertEqual(pick_due_date([past, date(2025, 1, 1)], today), past)
        self.assertEqual(pick_due_date([today, later], today), today)
        self.assertIsNone(pick_due_date([None], today))

    def test_anniversary(self):
        profiles = self._scored()
        # 2024-03-15: two full years on 2026-03-15, past: the next is 2027
        self.assertEqual(profiles[self.buyer].next_anniversary_date, date(2027, 3, 15))
        self.assertEqual(profiles[self.yearling].next_anniversary_date, self.TODAY)
        self.assertEqual(
            profiles[self.newcomer].next_anniversary_date, date(2027, 6, 30)
        )
        # 29 February: the 28th in other years
        self.assertEqual(profiles[self.leap].next_anniversary_date, date(2027, 2, 28))

    def test_service_due(self):
        profiles = self._scored()
        # last boiler 2026-05-01 + 180 days
        self.assertEqual(profiles[self.buyer].service_due_date, date(2026, 10, 28))
        # only a past one (2024-02-29 + 180): kept
        self.assertEqual(profiles[self.leap].service_due_date, date(2024, 8, 27))
        self.assertFalse(profiles[self.newcomer].service_due_date)

    def test_repurchase_due(self):
        profiles = self._scored()
        buyer = profiles[self.buyer]
        ownership_end = date(2026, 1, 10) + timedelta(days=1000)  # 2028-10-06
        self.assertEqual(ownership_end, date(2028, 10, 6))
        expected = pick_due_date(
            [
                ownership_end - timedelta(days=10),
                buyer.next_purchase_date
                and buyer.next_purchase_date - timedelta(days=10),
            ],
            self.TODAY,
        )
        self.assertTrue(expected)
        self.assertEqual(buyer.repurchase_due_date, expected)
        # no ownership category: the expected next purchase minus the lead
        yearling = profiles[self.yearling]
        if yearling.next_purchase_date:
            self.assertEqual(
                yearling.repurchase_due_date,
                yearling.next_purchase_date - timedelta(days=10),
            )

    def test_only_changes_written_and_incremental(self):
        """A second run writes nothing; the stored dates equal a from-scratch
        scoring's, also after the lead days change."""
        self.Run._cron_lifecycle_scoring(today=self.TODAY)
        self.assertEqual(
            self.Run._lifecycle_count_mismatches(self.company, self.TODAY), 0
        )
        stats = self.Scoring._scoring_score_company(self.company, self.TODAY)
        self.assertEqual(stats["changed"], 0)
        self.company.lifecycle_repurchase_lead_days = 20
        self.Run._cron_lifecycle_scoring(today=self.TODAY + timedelta(days=1))
        self.assertEqual(
            self.Run._lifecycle_count_mismatches(
                self.company, self.TODAY + timedelta(days=1)
            ),
            0,
        )
        buyer = self._profile(self.buyer)
        self.assertEqual(
            buyer.repurchase_due_date,
            pick_due_date(
                [
                    date(2028, 10, 6) - timedelta(days=20),
                    buyer.next_purchase_date
                    and buyer.next_purchase_date - timedelta(days=20),
                ],
                self.TODAY + timedelta(days=1),
            ),
        )

    def test_engine_fields_guarded(self):
        profile = self._scored()[self.buyer]
        for name in (
            "next_anniversary_date",
            "service_due_date",
            "repurchase_due_date",
        ):
            with self.assertRaises(AccessError):
                profile.with_user(self.manager).write({name: date(2030, 1, 1)})
