from datetime import timedelta

from odoo.tests import tagged

from ..lib import stage_engine
from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestRfm(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"]
        # Customer i bought i+1 times, the last time 10*(5-i) days ago.
        for index in range(5):
            customer = cls._customer(f"RFM {index}")
            cls.customers |= customer
            for purchase in range(index + 1):
                day = cls.TODAY - timedelta(days=10 * (5 - index) + 30 * purchase)
                cls._invoice(customer, day, 100 * (index + 1))

    def test_scores_by_percent_rank_and_segments(self):
        profiles = self._score(self.customers).sorted(lambda p: p.partner_id.name)
        self._check_scores(profiles)
        # Scoring from the stored figures gives the same result as the job.
        self.env.cr.execute(
            "UPDATE crm_lifecycle_profile SET recency_score = NULL, "
            "frequency_score = NULL, monetary_score = NULL, segment_id = NULL "
            "WHERE id = ANY(%s)",
            [profiles.ids],
        )
        self.assertEqual(self.Scoring._lifecycle_compute_rfm(self.company), 5)
        self._check_scores(profiles)

    def _check_scores(self, profiles):
        profiles.invalidate_recordset()
        expected = stage_engine.percent_rank_score(profiles.mapped("purchase_count"))
        self.assertEqual(expected, [1, 2, 3, 4, 5])
        self.assertEqual(profiles.mapped("frequency_score"), expected)
        self.assertEqual(profiles.mapped("recency_score"), [1, 2, 3, 4, 5])
        self.assertEqual(
            profiles.mapped("monetary_score"),
            stage_engine.percent_rank_score(profiles.mapped("revenue_total")),
        )
        self.assertEqual(profiles[4].rfm_code, "555")
        self.assertEqual(
            profiles.mapped("segment_id.name"),
            ["Lost", "Hibernating", "Need Attention", "Loyal", "Champions"],
        )

    def test_edited_segment_definition_applies(self):
        profiles = self._score(self.customers)
        champions = self.env.ref("crm_lifecycle.segment_champions")
        champions.write({"recency_min": 4, "frequency_min": 4})
        self.Scoring._lifecycle_compute_rfm(self.company)
        by_customer = profiles.sorted(lambda p: p.partner_id.name)
        self.assertEqual(by_customer[3].segment_id, champions)

    def test_unchanged_scores_are_not_rewritten(self):
        self._score(self.customers)
        self.assertEqual(self.Scoring._lifecycle_compute_rfm(self.company), 0)
        self.env.ref("crm_lifecycle.segment_champions").recency_min = 4
        self.assertEqual(self.Scoring._lifecycle_compute_rfm(self.company), 1)
        self.assertEqual(self.Scoring._lifecycle_compute_rfm(self.company), 0)

    def test_no_purchase_no_score(self):
        prospect = self._customer("No RFM")
        self.env["crm.lead"].create(
            {"name": "Deal", "type": "opportunity", "partner_id": prospect.id}
        )
        profile = self._score(prospect)
        self.Scoring._lifecycle_compute_rfm(self.company)
        self.assertFalse(profile.recency_score)
        self.assertFalse(profile.segment_id)
