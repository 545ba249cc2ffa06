from odoo.tests import tagged

from .common import SupportCase

MAIL = """Return-Path: <{sender}>
From: Alice Acme <{sender}>
To: {to}
Subject: {subject}
Message-ID: {msgid}
{extra}Content-Type: text/plain; charset="utf-8"
MIME-Version: 1.0

{body}
"""


@tagged("post_install", "-at_install")
class TestSupportIntake(SupportCase):
    def test_team_alias_creates_request_and_threads_reply(self):
        self.env["mail.alias.domain"].search([], limit=1) or self.env[
            "mail.alias.domain"
        ].create({"name": "support.test"})
        self.team.alias_name = "care-test"
        alias = self.team.alias_id
        to = f"{alias.alias_name}@{alias.alias_domain_id.name}"
        MailThread = self.env["mail.thread"]
        MailThread.message_process(
            "helpdesk.ticket",
            MAIL.format(
                sender="a@acme.test",
                to=to,
                subject="Widget broken",
                msgid="<first@acme.test>",
                extra="",
                body="My widget is broken.",
            ),
        )
        ticket = self.env["helpdesk.ticket"].search([("name", "=", "Widget broken")])
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.partner_id, self.contact)
        self.assertFalse(ticket.first_response_date)
        MailThread.message_process(
            "helpdesk.ticket",
            MAIL.format(
                sender="a@acme.test",
                to=to,
                subject="Re: Widget broken",
                msgid="<second@acme.test>",
                extra="In-Reply-To: <first@acme.test>\nReferences: <first@acme.test>\n",
                body="Any news?",
            ),
        )
        self.assertEqual(
            self.env["helpdesk.ticket"].search_count(
                [("name", "like", "Widget broken")]
            ),
            1,
        )
        self.assertIn("Any news?", ticket.message_ids[0].body)
        # the customer's email is no first response
        self.assertFalse(ticket.first_response_date)
