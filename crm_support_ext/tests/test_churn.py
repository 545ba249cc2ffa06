from datetime import date

from odoo.tests import tagged

from odoo.addons.crm_lifecycle.tests.common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestSupportChurn(LifecycleCommon):
    TODAY = date(2026, 6, 30)

    def test_support_component_and_explanation(self):
        customer = self._customer("Unhappy Co")
        calm = self._customer("Calm Co")
        for partner in customer | calm:
            self._invoice(partner, date(2026, 3, 1), 100)
        complaint_type = self.env.ref("crm_support_ext.helpdesk_ticket_type_complaint")
        Ticket = self.env["helpdesk.ticket"].sudo()
        complaint = Ticket.create(
            {
                "name": "Late delivery",
                "description": "<p>late</p>",
                "partner_id": customer.id,
                "type_id": complaint_type.id,
                "company_id": self.company.id,
            }
        )
        rated = Ticket.create(
            {
                "name": "Slow answer",
                "description": "<p>slow</p>",
                "partner_id": customer.id,
                "company_id": self.company.id,
                "stage_id": self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done").id,
            }
        )
        self.env["rating.rating"].sudo().create(
            {
                "res_model_id": self.env["ir.model"]._get_id("helpdesk.ticket"),
                "res_id": rated.id,
                "partner_id": customer.id,
                "rating": 1,
                "consumed": True,
            }
        )
        self.company.write(
            {
                "lifecycle_churn_weight_support_complaints": 1.0,
                "lifecycle_churn_weight_support_ratings": 1.0,
                "lifecycle_churn_weight_support_breaches": 1.0,
            }
        )
        profile = self._score(customer)
        components = profile.churn_components
        self.assertEqual(components["support_complaints"], 0.5)
        self.assertEqual(components["support_ratings"], 0.5)
        self.assertEqual(components["support_breaches"], 0)
        self.assertIn(complaint.display_name, profile.churn_explanation)
        self.assertIn(rated.display_name, profile.churn_explanation)
        self.assertIn("Open complaints", profile.churn_explanation)
        calm_profile = self._score(calm)
        # no request: the support components do not apply
        self.assertNotIn("support_complaints", calm_profile.churn_components)
        self.assertNotIn("Late delivery", calm_profile.churn_explanation or "")
        self.assertGreater(profile.churn_risk, calm_profile.churn_risk)
        # closing the complaint removes it at the next scoring
        complaint.stage_id = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        profile = self._score(customer)
        self.assertEqual(profile.churn_components["support_complaints"], 0)
