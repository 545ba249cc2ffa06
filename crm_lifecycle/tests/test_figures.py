from datetime import date

from odoo.tests import tagged

from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestPurchaseFigures(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR")  # 2 EUR = 1 USD in 2026
        cls.company_2 = cls.setup_other_company()["company"]
        cls.customer = cls._customer("Figures Ltd")
        contact = cls.env["res.partner"].create(
            {"name": "Buyer", "parent_id": cls.customer.id}
        )
        # Two invoices on the same day: one purchase occasion.
        cls._invoice(cls.customer, "2025-01-10", 1000)
        cls._invoice(contact, "2025-01-10", 500)
        # Foreign currency: 1000 EUR = 500 USD of company currency.
        cls._invoice(cls.customer, "2026-03-01", 1000, currency=cls.eur)
        # A refund reduces revenue and is no purchase.
        cls._invoice(cls.customer, "2026-04-01", 200, move_type="out_refund")
        # Cancelled and draft invoices are ignored.
        cls._invoice(cls.customer, "2026-05-01", 9999).button_cancel()
        cls._invoice(cls.customer, "2026-05-02", 7777, post=False)
        # Another company's invoice counts in that company only.
        cls._invoice(cls.customer, "2026-06-01", 300, company=cls.company_2)

    def test_figures_match_hand_computed_values(self):
        profile = self._score(self.customer)
        self.assertRecordValues(
            profile,
            [
                {
                    "first_purchase_date": date(2025, 1, 10),
                    "last_purchase_date": date(2026, 3, 1),
                    "purchase_count": 2,
                    "purchase_count_12m": 1,
                    "invoice_count": 3,
                    "revenue_total": 1800.0,  # 1000 + 500 + 500 - 200
                    "revenue_12m": 300.0,  # 500 - 200
                    "avg_order_value": 600.0,  # 1800 / 3 invoices
                    "avg_interval_days": 415.0,  # 2025-01-10 -> 2026-03-01
                    "lifespan_days": 415,
                    "has_open_opportunity": False,
                }
            ],
        )
        # 121 days without purchase, fewer than 3 occasions: default 120 days.
        self.assertEqual(profile.stage_id, self.stages["at_risk"])

    def test_figures_per_company(self):
        self._score(self.customer)
        profile_2 = self._score(self.customer, company=self.company_2)
        self.assertRecordValues(
            profile_2,
            [
                {
                    "company_id": self.company_2.id,
                    "first_purchase_date": date(2026, 6, 1),
                    "purchase_count": 1,
                    "revenue_total": 300.0,
                    "revenue_12m": 300.0,
                }
            ],
        )
        self.assertEqual(profile_2.stage_id, self.stages["new"])
        self.assertEqual(self._profile(self.customer).revenue_total, 1800.0)

    def test_invoices_after_the_day_do_not_count(self):
        profile = self._score(self.customer, today=date(2025, 6, 30))
        self.assertRecordValues(
            profile,
            [{"purchase_count": 1, "invoice_count": 2, "revenue_total": 1500.0}],
        )

    def test_prospect_from_open_opportunity(self):
        prospect = self._customer("Prospect Ltd")
        self.env["crm.lead"].create(
            {"name": "Deal", "type": "opportunity", "partner_id": prospect.id}
        )
        profile = self._score(prospect)
        self.assertTrue(profile.has_open_opportunity)
        self.assertEqual(profile.stage_id, self.stages["prospect"])
        self.assertFalse(profile.segment_id)

    def test_partner_fields_follow_current_company(self):
        self._score(self.customer)
        self._score(self.customer, company=self.company_2)
        partner = self.customer.with_company(self.company)
        self.assertEqual(partner.lifecycle_revenue_total, 1800.0)
        self.assertEqual(partner.lifecycle_stage_id, self.stages["at_risk"])
        partner_2 = self.customer.with_company(self.company_2)
        self.assertEqual(partner_2.lifecycle_revenue_total, 300.0)
        self.assertEqual(partner_2.lifecycle_stage_id, self.stages["new"])
        found = (
            self.env["res.partner"]
            .with_company(self.company)
            .search([("lifecycle_stage_kind", "=", "at_risk")])
        )
        self.assertIn(self.customer, found)
        contact = self.customer.child_ids
        self.assertIn(contact, found, "contacts follow their company's stage")
