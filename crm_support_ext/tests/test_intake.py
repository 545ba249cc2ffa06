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

    def test_unknown_sender_gets_a_contact_to_review(self):
        self.env["mail.alias.domain"].search([], limit=1) or self.env[
            "mail.alias.domain"
        ].create({"name": "support.test"})
        self.team.alias_name = "care-unknown"
        alias = self.team.alias_id
        to = f"{alias.alias_name}@{alias.alias_domain_id.name}"
        Partner = self.env["res.partner"].with_context(active_test=False)
        self.assertFalse(Partner.search([("email", "=ilike", "nora@newco.test")]))
        mail = MAIL.format(
            sender="nora@newco.test",
            to=to,
            subject="Where is my order?",
            msgid="<unknown-1@newco.test>",
            extra="",
            body="I ordered a chair last week.",
        ).replace("From: Alice Acme", "From: Nora Newco")
        self.env["mail.thread"].message_process("helpdesk.ticket", mail)
        ticket = self.env["helpdesk.ticket"].search(
            [("name", "=", "Where is my order?")]
        )
        self.assertEqual(len(ticket), 1)
        contact = ticket.partner_id
        self.assertTrue(contact, "the request has a customer")
        self.assertEqual(contact.name, "Nora Newco")
        self.assertEqual(contact.email, "nora@newco.test")
        self.assertTrue(contact.support_review_needed)
        self.assertEqual(ticket.message_ids.filtered("body")[-1:].author_id, contact)
        self.assertIn(
            contact,
            Partner.search([("support_review_needed", "=", True)]),
            "the filter To Review (Support) finds it",
        )
        # a second email of the same sender: the same contact, no new one
        self.env["mail.thread"].message_process(
            "helpdesk.ticket",
            mail.replace("<unknown-1@newco.test>", "<unknown-2@newco.test>").replace(
                "Where is my order?", "And the invoice?"
            ),
        )
        second = self.env["helpdesk.ticket"].search([("name", "=", "And the invoice?")])
        self.assertEqual(second.partner_id, contact)
        self.assertEqual(
            Partner.search_count([("email", "=ilike", "nora@newco.test")]), 1
        )
        # a known sender's contact is never flagged
        self.assertFalse(self.contact.support_review_needed)
