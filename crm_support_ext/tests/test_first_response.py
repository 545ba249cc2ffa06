from odoo.tests import freeze_time, tagged

from .common import SupportCase


@tagged("post_install", "-at_install")
class TestSupportFirstResponse(SupportCase):
    def test_stamp_on_agent_reply_only(self):
        ticket = self._ticket(created=self.dt(6, 15))  # a Friday
        as_agent = ticket.with_user(self.agent)
        with freeze_time(self.dt(6, 16)):
            # an internal note is no response
            as_agent.message_post(
                body="note", message_type="comment", subtype_xmlid="mail.mt_note"
            )
            # the customer writing is no response
            ticket.message_post(
                body="any news?",
                message_type="email",
                subtype_xmlid="mail.mt_comment",
                author_id=self.contact.id,
            )
            # a templated acknowledgement is no response
            as_agent.message_post_with_source(
                "helpdesk_mgmt.changed_stage_template",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
            # a stage notification (helpdesk_mgmt's stage template)
            ticket.with_user(self.agent).stage_id = self.stage_done
            ticket.with_user(self.agent).stage_id = self.stage_progress
            self.env.flush_all()
        self.assertFalse(ticket.first_response_date)
        with freeze_time(self.dt(9, 10)):  # Monday 10:00
            as_agent.message_post(
                body="We are on it",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(ticket.first_response_date, self.dt(9, 10))
        # 2 hours on Friday, 1 on Monday, the weekend does not count
        self.assertAlmostEqual(ticket.first_response_hours, 3.0)
        with freeze_time(self.dt(9, 12)):
            as_agent.message_post(
                body="again", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(ticket.first_response_date, self.dt(9, 10))
        self.assertEqual(
            self.env["helpdesk.ticket"].search(
                [("id", "=", ticket.id), ("first_response_hours", "<=", 3)]
            ),
            ticket,
        )

    def test_agent_email_reply_counts(self):
        ticket = self._ticket(created=self.dt(10, 9))
        with freeze_time(self.dt(10, 9, 30)):
            ticket.message_post(
                body="answer by mail",
                message_type="email",
                subtype_xmlid="mail.mt_comment",
                author_id=self.agent.partner_id.id,
            )
        self.assertEqual(ticket.first_response_date, self.dt(10, 9, 30))
        self.assertAlmostEqual(ticket.first_response_hours, 0.5)

    def test_resolved_stage_asks_for_rating_not_a_response(self):
        ticket = self._ticket(created=self.dt(10, 9), user_id=False)
        resolved = self.env.ref("crm_support_ext.helpdesk_ticket_stage_resolved")
        ticket.with_user(self.agent).stage_id = resolved
        self.env.flush_all()
        self.assertTrue(ticket.closed)
        rating = self.env["rating.rating"].search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(len(rating), 1)
        self.assertTrue(rating.access_token)
        # without assignee, the agent who resolved it is the rated operator
        self.assertFalse(ticket.user_id)
        self.assertEqual(rating.rated_partner_id, self.agent.partner_id)
        # the rating request is rendered from a template: no first response
        self.assertFalse(ticket.first_response_date)
