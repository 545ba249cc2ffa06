from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSupportTour(HttpCase):
    def test_dashboard(self):
        """A support manager opens the support dashboard from the Support
        menu; its totals equal the report's (the tour compares them)."""
        Ticket = self.env["helpdesk.ticket"]
        ticket = Ticket.create(
            {
                "name": "Dashboard request",
                "description": "<p>x</p>",
                "partner_id": self.env.ref("base.res_partner_2").id,
                "type_id": self.env.ref(
                    "crm_support_ext.helpdesk_ticket_type_complaint"
                ).id,
            }
        )
        self.env["rating.rating"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("helpdesk.ticket"),
                "res_id": ticket.id,
                "rating": 5,
                "consumed": True,
            }
        )
        self.assertTrue(self.env["crm.support.kpi.ticket"].search_count([]))
        self.start_tour("/odoo", "crm_support_dashboard", login="admin")

    def test_complaint_from_portal_to_rating(self):
        """Must show of the support issue: a portal user files a complaint in
        the portal, an agent answers and resolves it, the customer sees the
        answer in the portal and rates it."""
        company = self.env.company
        company.write(
            {
                "helpdesk_mgmt_portal_type": True,
                "helpdesk_mgmt_portal_category_id_required": False,
                "email": "support@tour.test",
            }
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Furniture Buyer", "is_company": True}
        )
        portal = new_test_user(
            self.env,
            login="support_tour_portal",
            password="support_tour_portal",
            groups="base.group_portal",
            name="Paula Portal",
            email="paula@tour.test",
        )
        portal.partner_id.parent_id = customer
        agent = new_test_user(
            self.env,
            login="support_tour_agent",
            password="support_tour_agent",
            groups="crm_support_ext.group_support_user",
            name="Arthur Agent",
            email="arthur@tour.test",
        )
        resolved = self.env.ref("crm_support_ext.helpdesk_ticket_stage_resolved")
        resolved.fold = False  # a plain button of the status bar

        # 1. the customer files the complaint
        self.start_tour(
            "/new/ticket", "crm_support_portal_file_complaint", login=portal.login
        )
        ticket = self.env["helpdesk.ticket"].search(
            [("name", "=", "Scratched table top")]
        )
        self.assertEqual(len(ticket), 1)
        self.assertEqual(
            ticket.type_id,
            self.env.ref("crm_support_ext.helpdesk_ticket_type_complaint"),
        )
        self.assertEqual(ticket.partner_id, portal.partner_id)
        self.assertEqual(ticket.commercial_partner_id, customer)
        self.assertFalse(ticket.first_response_date)

        # 2. the agent answers and resolves it
        self.start_tour(
            f"/odoo/action-helpdesk_mgmt.helpdesk_ticket_action/{ticket.id}",
            "crm_support_agent_answer_resolve",
            login=agent.login,
        )
        ticket.invalidate_recordset()
        self.assertTrue(ticket.first_response_date)
        self.assertEqual(ticket.stage_id, resolved)
        self.assertTrue(ticket._support_portal_rating_token())

        # 3. the customer reads the answer and rates it
        self.start_tour(
            f"/my/ticket/{ticket.id}", "crm_support_portal_rate", login=portal.login
        )
        ticket.invalidate_recordset()
        rating = ticket.rating_ids.filtered("consumed")
        self.assertEqual(rating.rating, 5)
        self.assertEqual(rating.feedback, "Quick and friendly, thank you.")
        self.assertFalse(ticket._support_portal_rating_token())
        report = self.env["crm.support.kpi.ticket"].search(
            [("ticket_id", "=", ticket.id)]
        )
        self.assertEqual((report.csat, report.first_response_hours >= 0), (100.0, True))
