from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCollectionsTour(HttpCase):
    def test_collector_review_and_letter(self):
        """A collector opens a draft run, reads a line's explanation, removes
        a line and validates; the sending job sends the letter, which the
        collector finds in the customer's chatter."""
        company = self.env.ref("base.main_company")
        collector = new_test_user(
            self.env,
            login="tour_collector",
            groups="base.group_user,account.group_account_invoice,"
            "crm_collections.group_collections_user",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )
        today = fields.Date.today()
        letter, removed = self.env["res.partner"].create(
            [
                {"name": "Tour Letter Ltd", "is_company": True},
                {"name": "Tour Removed Ltd", "is_company": True},
            ]
        )
        due = today - timedelta(days=35)  # level "Second reminder": a letter
        self.env["account.move"].with_company(company).create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "invoice_date": due,
                    "invoice_date_due": due,
                    "invoice_line_ids": [
                        Command.create(
                            {"name": "Goods", "quantity": 1, "price_unit": 400}
                        )
                    ],
                }
                for partner in (letter, removed)
            ]
        ).action_post()
        run = (
            self.env["crm.collections.run"]
            .sudo()
            .create({"company_id": company.id, "date": today})
        )
        run._collections_generate()
        self.assertEqual(run.state, "review")
        letter_line = run.line_ids.filtered(lambda line: line.partner_id == letter)
        removed_line = run.line_ids.filtered(lambda line: line.partner_id == removed)
        self.assertEqual(letter_line.channel, "letter")

        self.start_tour(
            f"/odoo/action-crm_collections.crm_collections_run_action/{run.id}",
            "crm_collections_collector_review",
            login=collector.login,
        )
        self.env.invalidate_all()
        self.assertEqual(run.state, "sending")
        self.assertEqual(removed_line.state, "cancelled")
        self.assertEqual(letter_line.state, "to_send")

        self.env["crm.collections.line"]._cron_collections_send()
        self.assertEqual(letter_line.state, "sent")
        self.assertEqual(removed_line.state, "cancelled")
        self.assertFalse(removed_line.letter_attachment_id)

        self.start_tour(
            f"/odoo/contacts/{letter.id}",
            "crm_collections_letter_in_chatter",
            login=collector.login,
        )
