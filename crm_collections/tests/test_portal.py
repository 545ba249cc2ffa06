import re
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import CollectionsCommon

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@tagged("post_install", "-at_install")
class TestPortal(CollectionsCommon, HttpCase):
    """Payment reminders on the portal: a customer sees its own sent
    reminders (its commercial entity, its companies), disputes an invoice
    and proposes a promise to pay; never another customer's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.acme = cls._customer("Acme Portal Debtor")
        cls.globex = cls._customer("Globex Portal Debtor")
        cls.acme_1, cls.acme_2 = cls._overdue_batch(
            [(cls.acme, 20, 100.0), (cls.acme, 40, 200.0)]
        )
        cls.globex_1 = cls._overdue(cls.globex, 40, 300.0)
        # the same customer in another company, whose portal user is not in
        cls.policy_2 = (
            cls.env["crm.collections.policy"]
            .with_company(cls.company_2)
            .create(
                {
                    "name": "Company 2 policy",
                    "company_id": cls.company_2.id,
                    "is_default": True,
                    "level_ids": [
                        Command.create(
                            {"name": "C2 letter", "days": 10, "channel": "letter"}
                        )
                    ],
                }
            )
        )
        cls.acme_c2 = cls._overdue_batch([(cls.acme, 20, 777.0)], company=cls.company_2)
        cls.run_1 = cls._sent_run(cls.TODAY)
        cls.line_acme = cls.run_1.line_ids.filtered(
            lambda line: line.partner_id == cls.acme
        )
        cls.line_globex = cls.run_1.line_ids.filtered(
            lambda line: line.partner_id == cls.globex
        )
        cls.run_c2 = cls._sent_run(cls.TODAY, cls.company_2)
        cls.line_acme_c2 = cls.run_c2.line_ids
        cls.user_acme = cls._portal_user("acme_portal", cls.acme)
        cls.user_globex = cls._portal_user("globex_portal", cls.globex)

    @classmethod
    def _sent_run(cls, day, company=None):
        company = company or cls.company
        run = cls.Run.with_company(company).create(
            {"company_id": company.id, "date": day}
        )
        run._collections_generate()
        run.line_ids.sudo().write({"state": "sent"})
        return run

    @classmethod
    def _portal_user(cls, login, customer):
        user = new_test_user(
            cls.env,
            login=login,
            groups="base.group_portal",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        user.partner_id.parent_id = customer
        return user

    # helpers

    def _get(self, url, login="acme_portal", status=200):
        self.authenticate(login, login)
        response = self.url_open(url, allow_redirects=False)
        self.assertEqual(response.status_code, status, url)
        return response.text

    def _post(self, url, data, login="acme_portal", csrf=True):
        """POST a portal form (with the session's CSRF token); follows the
        redirect and returns the page shown."""
        self.authenticate(login, login)
        if csrf:
            page = self.url_open("/my/reminders/%s" % self.line_acme.id).text
            data = {**data, "csrf_token": CSRF_RE.search(page).group(1)}
        return self.url_open(url, data=data)

    def _marker(self, line):
        return f'data-reminder-id="{line.id}"'

    def _dispute(self, move, reason="Goods damaged", login="acme_portal"):
        return self._post(
            f"/my/reminders/{self.line_acme.id}/dispute",
            {"invoice_id": move.id, "reason": reason},
            login=login,
        )

    def _propose(self, amount, date, moves):
        return self._post(
            f"/my/reminders/{self.line_acme.id}/promise",
            {
                "amount": amount,
                "date": fields.Date.to_string(date),
                "move_ids": [str(mid) for mid in moves.ids],
            },
        )

    def _promises(self):
        return self.env["crm.collections.promise"].search(
            [("partner_id", "=", self.acme.id)]
        )

    # reminders

    def test_list_shows_only_own_reminders(self):
        self.assertTrue(self.line_acme and self.line_globex and self.line_acme_c2)
        html = self._get("/my/reminders")
        self.assertIn(self._marker(self.line_acme), html)
        self.assertNotIn(self._marker(self.line_globex), html)
        # the same customer's reminder in a company the user is not in
        self.assertNotIn(self._marker(self.line_acme_c2), html)
        self.assertNotIn("777.00", html)
        html = self._get("/my/reminders", login="globex_portal")
        self.assertIn(self._marker(self.line_globex), html)
        self.assertNotIn(self._marker(self.line_acme), html)
        # the home counter
        self.authenticate("acme_portal", "acme_portal")
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["collections_reminder_count"]}
        )
        self.assertEqual(counters["collections_reminder_count"], 1)

    def test_detail_lists_invoices(self):
        html = self._get(f"/my/reminders/{self.line_acme.id}")
        self.assertIn(self.line_acme.level_id.name, html)
        for move in self.acme_1 | self.acme_2:
            self.assertIn(f'data-move-id="{move.id}"', html)
            self.assertIn(f"/my/invoices/{move.id}", html)
        self.assertIn("200.00", html)
        self.assertNotIn(self.globex_1.name, html)

    def test_draft_line_not_shown(self):
        self.line_acme.sudo().write({"state": "draft"})
        html = self._get("/my/reminders")
        self.assertNotIn(self._marker(self.line_acme), html)
        self._get(f"/my/reminders/{self.line_acme.id}", status=404)

    def test_other_customer_reminder_404(self):
        self._get(f"/my/reminders/{self.line_globex.id}", status=404)
        self._get(f"/my/reminders/{self.line_acme_c2.id}", status=404)
        # posting to it neither
        response = self._post(
            f"/my/reminders/{self.line_globex.id}/promise",
            {"amount": 10, "date": "2099-01-01", "move_ids": [self.globex_1.id]},
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(
            self.env["crm.collections.promise"].search(
                [("partner_id", "=", self.globex.id)]
            )
        )

    def test_portal_has_no_access_to_collections_models(self):
        for model in (
            "crm.collections.line",
            "crm.collections.dispute",
            "crm.collections.promise",
        ):
            self.assertFalse(
                self.env[model].with_user(self.user_acme).has_access("read")
            )

    # disputes

    def test_dispute_pauses_next_run(self):
        page = self._dispute(self.acme_2, "Never received").text
        self.assertIn("flagged as disputed", page)
        dispute = self.env["crm.collections.dispute"].search(
            [("move_id", "=", self.acme_2.id)]
        )
        self.assertEqual(len(dispute), 1)
        self.assertEqual(dispute.source_ref, self.acme_2)
        self.assertEqual(dispute.reason, "Never received")
        self.assertEqual(dispute.user_id, self.user_acme)
        self.assertTrue(self.acme_2.crm_collections_disputed)
        # a note in the invoice's chatter, an activity for the salesperson
        self.assertIn(
            "Never received",
            "".join(self.acme_2.message_ids.mapped("body")),
        )
        activity = self.acme_2.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.acme_2.invoice_user_id)
        # the next run skips it
        run = self._run(self.TODAY + timedelta(days=25))
        line = self._line(run, self.acme)
        skips = {li.move_id: li.skip_reason for li in line.line_invoice_ids}
        self.assertEqual(skips[self.acme_2], "dispute")
        self.assertFalse(skips[self.acme_1])
        self.assertEqual(line.level_id, self.level2)
        # twice: refused
        page = self._dispute(self.acme_2).text
        self.assertIn("You already disputed", page)
        self.assertEqual(
            self.env["crm.collections.dispute"].search_count(
                [("move_id", "=", self.acme_2.id)]
            ),
            1,
        )

    def test_portal_dispute_closed_alone(self):
        Dispute = self.env["crm.collections.dispute"]
        by_hand = Dispute._collections_open_dispute(self.acme_2, reason="Collector")
        self._dispute(self.acme_2)
        portal = Dispute._collections_portal_disputes(self.acme_2)
        self.assertEqual(len(portal), 1)
        closed = Dispute._collections_close_dispute(self.acme_2)
        self.assertEqual(closed, portal)
        self.assertEqual(by_hand.state, "open")
        self.assertTrue(self.acme_2.crm_collections_disputed)

    def test_dispute_collector_of_the_policy(self):
        self.policy.portal_user_id = self.salesman
        self._dispute(self.acme_1)
        self.assertEqual(self.acme_1.activity_ids.user_id, self.salesman)

    def test_dispute_refused_foreign_and_paid(self):
        Dispute = self.env["crm.collections.dispute"]
        page = self._dispute(self.globex_1).text
        self.assertIn("not one of yours", page)
        self.assertFalse(Dispute.search([("move_id", "=", self.globex_1.id)]))
        # through the invoice route too
        response = self._post(
            f"/my/invoices/{self.globex_1.id}/dispute", {"reason": "x"}
        )
        self.assertFalse(Dispute.search([("move_id", "=", self.globex_1.id)]))
        # the other company's invoice of the same customer
        self._dispute(self.acme_c2)
        self.assertFalse(Dispute.search([("move_id", "=", self.acme_c2.id)]))
        # a paid invoice
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.acme_1.ids
        ).create({})._create_payments()
        self.assertNotIn(self.acme_1.payment_state, ("not_paid", "partial"))
        page = self._dispute(self.acme_1).text
        self.assertIn("already paid", page)
        self.assertFalse(Dispute.search([("move_id", "=", self.acme_1.id)]))
        # an empty reason
        response = self._dispute(self.acme_2, reason="  ")
        self.assertIn("why you dispute", response.text)
        self.assertFalse(Dispute.search([("move_id", "=", self.acme_2.id)]))

    def test_dispute_from_invoice_page(self):
        html = self._get(self.acme_1._get_share_url(redirect=False))
        self.assertIn("o_collections_portal_dispute_invoice", html)
        response = self._post(
            f"/my/invoices/{self.acme_1.id}/dispute", {"reason": "Wrong price"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_collections_portal_disputed", response.text)
        self.assertTrue(self.acme_1.crm_collections_disputed)

    @mute_logger("odoo.http")
    def test_csrf_required(self):
        response = self._post(
            f"/my/reminders/{self.line_acme.id}/dispute",
            {"invoice_id": self.acme_2.id, "reason": "No token"},
            csrf=False,
        )
        self.assertEqual(response.status_code, 400)
        response = self._post(
            f"/my/invoices/{self.acme_2.id}/dispute", {"reason": "x"}, csrf=False
        )
        self.assertEqual(response.status_code, 400)
        response = self._post(
            f"/my/reminders/{self.line_acme.id}/promise",
            {"amount": 10, "date": "2099-01-01"},
            csrf=False,
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(
            self.env["crm.collections.dispute"].search(
                [("move_id", "=", self.acme_2.id)]
            )
        )
        self.assertFalse(self._promises())

    # promises

    def test_promise_proposed_then_accepted(self):
        today = fields.Date.today()
        page = self._propose(150.0, today + timedelta(days=10), self.acme_2).text
        self.assertIn("your promise to pay is sent", page)
        promise = self._promises()
        self.assertEqual(len(promise), 1)
        self.assertEqual(promise.state, "proposed")
        self.assertEqual(promise.move_ids, self.acme_2)
        self.assertEqual(promise.amount, 150.0)
        self.assertEqual(promise.line_id, self.line_acme)
        self.assertEqual(promise.company_id, self.company)
        self.assertEqual(promise.portal_user_id, self.user_acme)
        self.assertTrue(promise.activity_ids)
        # a proposal pauses nothing
        run = self._run(self.TODAY + timedelta(days=25))
        line = self._line(run, self.acme)
        skips = {li.move_id: li.skip_reason for li in line.line_invoice_ids}
        self.assertFalse(skips[self.acme_2])
        # a second proposal for the same reminder is refused
        page = self._propose(10.0, today + timedelta(days=5), self.acme_1).text
        self.assertIn("already proposed", page)
        # only a collector accepts
        with self.assertRaises(AccessError):
            promise.with_user(self.salesman).action_accept()
        promise.action_accept()
        self.assertEqual(promise.state, "open")
        self.assertFalse(promise.activity_ids)
        run = self._run(self.TODAY + timedelta(days=26))
        skips = {
            li.move_id: li.skip_reason
            for li in self._line(run, self.acme).line_invoice_ids
        }
        # accepted: dunning of its invoice pauses (the promise is dated
        # after the real today, later than TODAY + 26)
        self.assertEqual(skips[self.acme_2], "promise")

    def test_promise_refused_by_collector(self):
        self._propose(50.0, fields.Date.today() + timedelta(days=3), self.acme_1)
        promise = self._promises()
        promise.action_refuse()
        self.assertEqual(promise.state, "refused")
        with self.assertRaises(UserError):
            promise.action_accept()

    def test_promise_bad_input(self):
        today = fields.Date.today()
        cases = [
            (0, today + timedelta(days=5), self.acme_1, "must be positive"),
            (-5, today + timedelta(days=5), self.acme_1, "must be positive"),
            (100.01, today + timedelta(days=5), self.acme_1, "cannot exceed"),
            (50, today, self.acme_1, "after today"),
            (50, today - timedelta(days=3), self.acme_1, "after today"),
            (50, today + timedelta(days=91), self.acme_1, "within 90 days"),
            (50, today + timedelta(days=5), self.globex_1, "Only the invoices"),
            (
                50,
                today + timedelta(days=5),
                self.acme_1 | self.globex_1,
                "Only the invoices",
            ),
        ]
        for amount, date, moves, message in cases:
            with self.subTest(amount=amount, date=date, moves=moves.ids):
                page = self._propose(amount, date, moves).text
                self.assertIn(message, page)
        page = self._post(
            f"/my/reminders/{self.line_acme.id}/promise",
            {"amount": "abc", "date": "2099-01-01", "move_ids": [self.acme_1.id]},
        ).text
        self.assertIn("as a number", page)
        page = self._post(
            f"/my/reminders/{self.line_acme.id}/promise",
            {"amount": "5", "date": "2099-01-01"},
        ).text
        self.assertIn("choose the invoices", page)
        self.assertFalse(self._promises())
        # the horizon is a policy setting
        self.policy.portal_promise_max_days = 120
        self._propose(50, today + timedelta(days=100), self.acme_1)
        self.assertEqual(len(self._promises()), 1)
        with self.assertRaises(ValidationError):
            self.policy.portal_promise_max_days = 0

    def test_home_entry(self):
        html = self._get("/my")
        self.assertIn('href="/my/reminders"', html)
        self.assertIn("collections_reminder_count", html)
