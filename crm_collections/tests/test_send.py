from unittest.mock import patch

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.crm_collections.models.crm_collections_line_send import (
    SEND_LOCK_NAMESPACE,
    CrmCollectionsLine,
)

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestSend(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.by_mail = cls._customer("Mail Ltd", email="ap@mail.example.com")
        cls.by_letter = cls._customer("Letter Ltd")
        cls.by_phone = cls._customer("Phone Ltd", user_id=cls.salesman.id)
        cls.moves = cls._overdue_batch(
            [
                (cls.by_mail, 20, 100.0),
                (cls.by_letter, 40, 200.0),
                (cls.by_letter, 35, 50.0),
                (cls.by_phone, 70, 300.0),
            ]
        )
        cls.collector = new_test_user(
            cls.env,
            login="coll_collector",
            groups="base.group_user,crm_collections.group_collections_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.accountant = new_test_user(
            cls.env,
            login="coll_accountant",
            groups="base.group_user,account.group_account_readonly",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _validated_run(self):
        run = self._run()
        run.with_user(self.collector).action_validate()
        return run

    def _send(self, **kwargs):
        return self.env["crm.collections.line"]._cron_collections_send(**kwargs)

    def _messages(self, model, res_ids):
        return self.env["mail.message"].search(
            [("model", "=", model), ("res_id", "in", res_ids)]
        )

    def test_validate_only_marks_and_triggers(self):
        cron = self.env.ref("crm_collections.ir_cron_collections_send")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        run = self._validated_run()
        self.assertEqual(set(run.line_ids.mapped("state")), {"to_send"})
        self.assertEqual(run.state, "sending")
        self.assertEqual(run.collector_id, self.collector)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            len(triggers),
        )
        # nothing was sent in the request
        self.assertFalse(run.line_ids.letter_attachment_id)

    def test_send_each_channel(self):
        run = self._validated_run()
        self._send()
        mail_line = self._line(run, self.by_mail)
        letter_line = self._line(run, self.by_letter)
        phone_line = self._line(run, self.by_phone)
        self.assertEqual(set(run.line_ids.mapped("state")), {"sent"})
        self.assertTrue(all(run.line_ids.mapped("sent_date")))
        self.assertEqual(run.state, "done")
        # email: a comment with the letter attached, to the partner, queued
        email = mail_line.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(email), 1)
        self.assertEqual(email.partner_ids, self.by_mail)
        self.assertIn(mail_line.letter_attachment_id, email.attachment_ids)
        self.assertIn("Pay now", str(email.body))
        self.assertIn("access_token=", str(email.body))
        self.assertTrue(
            self.env["mail.mail"].search([("mail_message_id", "=", email.id)])
        )
        # letter: attached to the line, logged on the partner and invoices
        self.assertTrue(letter_line.letter_attachment_id)
        self.assertEqual(letter_line.sent_channel, "letter")
        partner_msgs = self._messages("res.partner", self.by_letter.ids).filtered(
            lambda m: letter_line.letter_attachment_id in m.attachment_ids
        )
        self.assertEqual(len(partner_msgs), 1)
        moves = letter_line.line_invoice_ids.move_id
        self.assertEqual(len(moves), 2)
        invoice_msgs = self._messages("account.move", moves.ids).filtered(
            lambda m: letter_line.letter_attachment_id in m.attachment_ids
        )
        self.assertEqual(len(invoice_msgs), 2)
        # the email too is in the partner's chatter
        self.assertTrue(
            self._messages("res.partner", self.by_mail.ids).filtered(
                lambda m: mail_line.letter_attachment_id in m.attachment_ids
            )
        )
        # phone: a call activity for the collector (no salesperson caller)
        activity = phone_line.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.collector)

    def test_phone_for_vip_salesperson(self):
        run = self._run()
        line = self._line(run, self.by_phone)
        line.user_id = self.salesman
        run.action_validate()
        self._send()
        self.assertEqual(
            line.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id == self.env.ref("mail.mail_activity_data_call")
                )
            ).user_id,
            self.salesman,
        )

    def test_channel_none(self):
        self.level2.channel = "none"
        run = self._validated_run()
        self._send()
        line = self._line(run, self.by_letter)
        self.assertEqual(line.state, "sent")
        self.assertFalse(line.letter_attachment_id)

    def test_no_double_sending(self):
        run = self._validated_run()
        self._send()
        self._send()
        attachments = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "crm.collections.line"),
                ("res_id", "in", run.line_ids.ids),
            ]
        )
        self.assertEqual(len(attachments), 2)  # the email's and the letter's
        self.assertEqual(
            len(
                self.env["mail.mail"].search(
                    [
                        ("model", "=", "crm.collections.line"),
                        ("res_id", "in", run.line_ids.ids),
                    ]
                )
            ),
            1,
        )
        self.assertEqual(
            len(self._line(run, self.by_phone).activity_ids), 2
        )  # call + handover
        # a second run the same day finds nothing new to send
        run2 = self._run()
        self.assertFalse(run2.line_ids)

    def test_exception_mid_batch_rolls_back(self):
        """A batch that fails is rolled back and sent line by line: the
        failing line is in error, the others are sent once."""
        run = self._validated_run()
        with (
            patch.object(
                CrmCollectionsLine,
                "_collections_schedule_calls",
                side_effect=RuntimeError("worker died"),
            ),
            mute_logger("odoo.addons.crm_collections.models.crm_collections_line_send"),
        ):
            self._send()
        phone_line = self._line(run, self.by_phone)
        self.assertEqual(phone_line.state, "error")
        self.assertIn("worker died", phone_line.error_reason)
        self.assertEqual((run.line_ids - phone_line).mapped("state"), ["sent"] * 2)
        # the rolled back batch left no document behind: one letter per line
        attachments = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "crm.collections.line"),
                ("res_id", "in", run.line_ids.ids),
            ]
        )
        self.assertEqual(len(attachments), 2)
        self._send()
        self.assertEqual(
            self.env["ir.attachment"].search_count(
                [
                    ("res_model", "=", "crm.collections.line"),
                    ("res_id", "in", run.line_ids.ids),
                ]
            ),
            2,
        )
        self.assertEqual(
            self.env["mail.mail"].search_count(
                [
                    ("model", "=", "crm.collections.line"),
                    ("res_id", "in", run.line_ids.ids),
                ]
            ),
            1,
        )

    def test_killed_resumes(self):
        """A worker killed after one committed batch: the other lines are
        still To Send and the next job sends them, each once."""
        run = self._validated_run()
        self._send(batch_size=1, limit=1)
        self.assertEqual(run.line_ids.mapped("state").count("sent"), 1)
        self.assertEqual(run.state, "sending")
        self._send(batch_size=1)
        self.assertEqual(set(run.line_ids.mapped("state")), {"sent"})
        self.assertEqual(run.state, "done")
        self.assertEqual(len(run.line_ids.letter_attachment_id), 2)

    def test_lock_against_second_job(self):
        run = self._validated_run()
        with self.registry.cursor() as cr2:
            cr2.execute("SELECT pg_advisory_lock(%s, 0)", [SEND_LOCK_NAMESPACE])
            self.assertFalse(self._send())
            cr2.execute("SELECT pg_advisory_unlock(%s, 0)", [SEND_LOCK_NAMESPACE])
        self.assertEqual(set(run.line_ids.mapped("state")), {"to_send"})
        self.assertTrue(self._send())

    def _pay(self, moves, amount=None):
        vals = {"payment_date": self.TODAY}
        if amount:
            vals["amount"] = amount
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids
        ).create(vals)._create_payments()

    def test_payment_between_run_and_sending(self):
        run = self._validated_run()
        letter_line = self._line(run, self.by_letter)
        mail_line = self._line(run, self.by_mail)
        paid = self.moves[1]
        self._pay(paid)
        self._pay(self.moves[0])  # the mail customer pays everything
        self._send()
        self.assertEqual(letter_line.state, "sent")
        row = letter_line.line_invoice_ids.filtered(lambda r: r.move_id == paid)
        self.assertEqual(row.skip_reason, "paid")
        self.assertEqual(letter_line.collections_invoice_ids.move_id, self.moves[2])
        self.assertEqual(letter_line.amount_total, 50.0)
        self.assertEqual(letter_line.invoice_count, 1)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "crm_collections.action_report_dunning_letter", letter_line.ids
            )[0]
            .decode()
        )
        self.assertNotIn(paid.name, html)
        self.assertIn(self.moves[2].name, html)
        self.assertEqual(mail_line.state, "cancelled")
        self.assertFalse(
            mail_line.message_ids.filtered(lambda m: m.message_type == "comment")
        )

    def test_no_email_error_and_fallback(self):
        self.by_mail.email = False
        run = self._validated_run()
        self._send()
        line = self._line(run, self.by_mail)
        self.assertEqual(line.state, "error")
        self.assertIn("No email address", line.error_reason)
        self.assertFalse(line.letter_attachment_id)

        self.policy.fallback_to_letter = True
        other = self._customer("No Mail Either")
        self._overdue(other, 20)
        run2 = self._validated_run()
        self._send()
        line2 = self._line(run2, other)
        self.assertEqual(line2.state, "sent")
        self.assertEqual(line2.sent_channel, "letter")
        self.assertIn("sent as a letter", line2.error_reason)
        self.assertTrue(line2.letter_attachment_id)

    def test_dunning_contact_receives_email(self):
        contact = self.env["res.partner"].create(
            {
                "name": "Accounts Payable",
                "parent_id": self.by_mail.id,
                "email": "dunning@mail.example.com",
                "collections_dunning_contact": True,
            }
        )
        run = self._validated_run()
        self._send()
        email = self._line(run, self.by_mail).message_ids.filtered(
            lambda m: m.message_type == "comment"
        )
        self.assertEqual(email.partner_ids, contact)

    def test_bounce_puts_line_in_error(self):
        run = self._validated_run()
        self._send()
        line = self._line(run, self.by_mail)
        self.assertEqual(line.state, "sent")
        line._message_receive_bounce("ap@mail.example.com", self.by_mail)
        self.assertEqual(line.state, "error")
        self.assertIn("bounced", line.error_reason)

    def test_bounce_falls_back_to_letter(self):
        self.policy.fallback_to_letter = True
        run = self._validated_run()
        self._send()
        line = self._line(run, self.by_mail)
        line._message_receive_bounce("ap@mail.example.com", self.by_mail)
        self.assertEqual(line.state, "to_send")
        self._send()
        self.assertEqual(line.state, "sent")
        self.assertEqual(line.sent_channel, "letter")
        self.assertIn("letter is sent instead", line.error_reason)

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_mail_failure_puts_line_in_error(self):
        run = self._validated_run()
        self._send()
        line = self._line(run, self.by_mail)
        mail = self.env["mail.mail"].search(
            [("model", "=", "crm.collections.line"), ("res_id", "=", line.id)]
        )
        mail._postprocess_sent_message(
            success_pids=[], failure_reason="SMTP refused", failure_type="mail_smtp"
        )
        self.assertEqual(line.state, "error")
        self.assertIn("SMTP refused", line.error_reason)

    def test_resend_invoice(self):
        run = self._validated_run()
        row = self._line(run, self.by_mail).line_invoice_ids
        row.with_user(self.collector).action_resend_invoice()
        self.assertTrue(
            row.move_id.message_ids.filtered(lambda m: m.message_type == "comment")
        )
        self.assertIn(
            "sent again",
            str(self._line(run, self.by_mail).message_ids[:1].body),
        )

    def test_access(self):
        run = self._run()
        line = run.line_ids[:1]
        with self.assertRaises(AccessError):
            run.with_user(self.accountant).action_validate()
        with self.assertRaises(AccessError):
            line.with_user(self.accountant).write({"state": "sent"})
        with self.assertRaises(AccessError):
            line.with_user(self.collector).write({"state": "sent"})
        with self.assertRaises(AccessError):
            line.with_user(self.collector).write({"sent_date": fields.Datetime.now()})
        run.with_user(self.collector).action_validate()
        with self.assertRaises(AccessError):
            run.with_user(self.accountant).action_send_now()
        run.with_user(self.collector).action_send_now()
        with self.assertRaises(AccessError):
            self._line(run, self.by_mail).line_invoice_ids.with_user(
                self.accountant
            ).action_resend_invoice()
        with self.assertRaises(UserError):
            run.with_user(self.collector).action_validate()

    def test_automatic_run_marks_and_sends_by_job(self):
        self.policy.mode = "automatic"
        run = self._run()
        self.assertEqual(set(run.line_ids.mapped("state")), {"to_send"})
        self._send()
        self.assertEqual(run.state, "done")

    def test_other_company_line_sent_in_its_company(self):
        self.env["crm.collections.policy"].with_company(self.company_2).create(
            {
                "name": "Company 2 policy",
                "company_id": self.company_2.id,
                "is_default": True,
                "mode": "automatic",
                "level_ids": [
                    Command.create(
                        {
                            "name": "C2 letter",
                            "days": 10,
                            "channel": "letter",
                            "fee_amount": 7.0,
                        }
                    )
                ],
            }
        )
        partner = self._customer("Company 2 Customer")
        self._overdue_batch([(partner, 20, 100.0)], company=self.company_2)
        run = self._run(company=self.company_2)
        self._send()
        line = self._line(run, partner)
        self.assertEqual(line.state, "sent")
        self.assertEqual(line.charge_move_id.company_id, self.company_2)
        self.assertEqual(line.letter_attachment_id.company_id, self.company_2)
