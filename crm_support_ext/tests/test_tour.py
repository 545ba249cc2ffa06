from odoo.tests import HttpCase, tagged


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
