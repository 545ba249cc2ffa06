from odoo.tests import new_test_user, tagged

from .common import SupportCase


@tagged("post_install", "-at_install")
class TestSupportPanel(SupportCase):
    """The open requests of a customer join the contact panel of the
    Lifecycle page, with their owner."""

    def test_open_requests_of_the_customer_with_their_owner(self):
        colleague = self.env["res.partner"].create(
            {"name": "Bob Acme", "parent_id": self.customer.id}
        )
        mine = self._ticket(user_id=self.agent.id)
        theirs = self._ticket(partner_id=colleague.id, user_id=self.leader.id)
        closed = self._ticket()
        closed.stage_id = self.stage_done
        stranger = self.env["res.partner"].create({"name": "Other Customer"})
        other = self._ticket(partner_id=stranger.id)
        for partner in (self.customer, self.contact, colleague):
            self.assertEqual(partner.support_open_ticket_ids, mine | theirs)
        self.assertEqual(stranger.support_open_ticket_ids, other)
        self.assertEqual(
            (mine | theirs).user_id, self.agent | self.leader, "owners shown"
        )

    def test_panel_hidden_from_users_outside_the_helpdesk(self):
        self._ticket()
        clerk = new_test_user(self.env, login="panel_clerk", groups="base.group_user")
        partner = self.customer.with_user(clerk)
        self.assertNotIn("support_open_ticket_ids", partner.fields_get())
