from datetime import date, timedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.crm_lifecycle.tests.common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestAddedStep(LifecycleCommon):
    def test_added_step_runs_in_order_and_its_column_is_written(self):
        steps = [step.name for step in self.Scoring._scoring_ordered_steps()]
        self.assertEqual(steps[:4], ["figures", "rfm", "stage", "opportunities"])
        today = date.today()
        customer = self._customer("Step Ltd")
        self._invoice(customer, today - timedelta(days=5), 100)
        leads = self.env["crm.lead"].create(
            [
                {"name": name, "type": "opportunity", "partner_id": customer.id}
                for name in ("One", "Two")
            ]
        )
        runs = self.Run._cron_lifecycle_scoring()
        profile = self._profile(customer)
        self.assertEqual(profile.open_opportunity_count, 2)
        self.assertEqual(profile.stage_kind, "new")
        # Changes are written by the next run, and only those.
        leads[0].action_set_won()
        run = self.Run._cron_lifecycle_scoring().filtered(
            lambda r: r.company_id == self.company
        )
        self.assertEqual(profile.open_opportunity_count, 1)
        self.assertEqual(run.changed_count, 1)
        self.assertTrue(runs)
        # The added field is an engine field: read-only to users.
        with self.assertRaises(AccessError):
            profile.with_user(self.manager).open_opportunity_count = 7

    def test_added_churn_component(self):
        """A component added through the hook is weighed into the risk and
        explained with its label."""
        self.company.write(
            {
                "lifecycle_churn_weight_alive": 0.0,
                "lifecycle_churn_weight_overdue": 1.0,
                "lifecycle_churn_weight_no_deal": 1.0,
            }
        )
        today = date.today()
        dealing, idle = self._customer("Dealing"), self._customer("Idle")
        for customer in dealing | idle:
            self._invoice(customer, today - timedelta(days=5), 100)
        self.env["crm.lead"].create(
            {"name": "Deal", "type": "opportunity", "partner_id": dealing.id}
        )
        self.Run._cron_lifecycle_scoring()
        dealing, idle = self._profile(dealing), self._profile(idle)
        self.assertEqual(dealing.churn_components, {"overdue": 0.0, "no_deal": 0.0})
        self.assertEqual(idle.churn_components, {"overdue": 0.0, "no_deal": 1.0})
        self.assertEqual(dealing.churn_risk, 0)
        self.assertEqual(idle.churn_risk, 50)
        self.assertIn("No open opportunity", idle.churn_explanation)
