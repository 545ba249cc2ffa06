from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestSettings(LifecycleCommon):
    def _set(self, **vals):
        settings = Form(self.env["res.config.settings"])
        for fname, value in vals.items():
            setattr(settings, fname, value)
        settings.save().execute()

    def test_valid_thresholds_saved_from_settings(self):
        self._set(lifecycle_new_days=60, lifecycle_churn_days=400)
        self.assertEqual(self.company.lifecycle_new_days, 60)
        self.assertEqual(self.company.lifecycle_churn_days, 400)

    def test_bad_thresholds_rejected(self):
        cases = [
            {"lifecycle_new_days": 0},
            {"lifecycle_churn_days": -5},
            {"lifecycle_at_risk_factor": 0.5},
            {"lifecycle_loyal_min_purchases": 1},
            {"lifecycle_new_days": 400, "lifecycle_churn_days": 365},
            {"lifecycle_at_risk_default_days": 365, "lifecycle_churn_days": 365},
        ]
        for vals in cases:
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                self.company.write(vals)
        self.assertEqual(self.company.lifecycle_new_days, 90)

    def test_bad_segment_ranges_rejected(self):
        segment = self.env.ref("crm_lifecycle.segment_champions")
        with self.assertRaises(ValidationError):
            segment.recency_min = 0
        with self.assertRaises(ValidationError):
            segment.write({"frequency_min": 5, "frequency_max": 3})
