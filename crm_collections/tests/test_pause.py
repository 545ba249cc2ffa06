from datetime import timedelta

from odoo.tests import tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestPause(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls._customer("Pause Ltd")
        cls.move_a, cls.move_b = cls._overdue_batch(
            [(cls.partner, 20, 100.0), (cls.partner, 40, 200.0)]
        )

    def _skips(self, line):
        return {li.move_id: li.skip_reason for li in line.line_invoice_ids}

    def test_dispute_pauses_until_every_source_closed(self):
        Dispute = self.env["crm.collections.dispute"]
        ticket_1 = self._customer("Source 1")  # any record can be a source
        ticket_2 = self._customer("Source 2")
        Dispute._collections_open_dispute(self.move_b, ticket_1, "wrong price")
        Dispute._collections_open_dispute(self.move_b, ticket_2, "damaged")
        self.assertTrue(self.move_b.crm_collections_disputed)
        line = self._line(self._run(), self.partner)
        self.assertEqual(line.level_id, self.level1)
        self.assertEqual(line.amount_total, 100.0)
        self.assertEqual(self._skips(line)[self.move_b], "dispute")
        self.assertIn(
            {"code": "skip", "reason": "dispute", "move": self.move_b.name},
            line.explanation_data,
        )
        self.assertIn(
            f"Invoice {self.move_b.name} not dunned: Disputed.", line.explanation
        )
        # closing one source's dispute leaves the other open
        closed = Dispute._collections_close_dispute(ticket_1)
        self.assertEqual(len(closed), 1)
        self.assertTrue(self.move_b.crm_collections_disputed)
        Dispute._collections_close_dispute(ticket_2)
        self.move_b.invalidate_recordset()
        self.assertFalse(self.move_b.crm_collections_disputed)
        line = self._line(self._run(self.TODAY + timedelta(days=1)), self.partner)
        self.assertEqual(line.level_id, self.level2)

    def test_all_paused_no_line(self):
        self.env["crm.collections.block"].create(
            {
                "partner_id": self.partner.id,
                "reason": "Negotiating",
                "end_date": self.TODAY,
            }
        )
        run = self._run()
        self.assertFalse(self._line(run, self.partner))
        # the block ends: dunning resumes
        run = self._run(self.TODAY + timedelta(days=1))
        self.assertEqual(self._line(run, self.partner).level_id, self.level2)

    def test_invoice_block(self):
        self.env["crm.collections.block"].create(
            {"move_id": self.move_b.id, "reason": "Credit note coming"}
        )
        line = self._line(self._run(), self.partner)
        self.assertEqual(self._skips(line)[self.move_b], "block_invoice")
        self.assertEqual(line.level_id, self.level1)

    def test_promise_kept(self):
        promise = self.env["crm.collections.promise"].create(
            {
                "partner_id": self.partner.id,
                "amount": 200.0,
                "date": self.TODAY + timedelta(days=7),
                "move_ids": [(6, 0, self.move_b.ids)],
            }
        )
        line = self._line(self._run(), self.partner)
        self.assertEqual(self._skips(line)[self.move_b], "promise")
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.move_b.ids
        ).create({"payment_date": self.TODAY + timedelta(days=3)})._create_payments()
        self.env["crm.collections.promise"]._cron_collections_promises(
            self.TODAY + timedelta(days=4)
        )
        self.assertEqual(promise.state, "kept")
        self.assertEqual(self.partner.crm_collections_promise_rate, 100.0)

    def test_promise_broken_escalates(self):
        self.policy.poor_payer_fewer_days = 5
        promise = self.env["crm.collections.promise"].create(
            {
                "partner_id": self.partner.id,
                "amount": 300.0,
                "date": self.TODAY + timedelta(days=2),
            }
        )
        # a promise without invoices pauses all of them
        self.assertFalse(self._line(self._run(), self.partner))
        Promise = self.env["crm.collections.promise"]
        Promise._cron_collections_promises(self.TODAY + timedelta(days=2))
        self.assertEqual(promise.state, "open")
        Promise._cron_collections_promises(self.TODAY + timedelta(days=3))
        self.assertEqual(promise.state, "broken")
        self.assertIn("broken", promise.message_ids[0].body)
        self.assertIn("Broken promise", self.partner.message_ids[0].body)
        self.assertEqual(self.partner.crm_collections_promise_rate, 0.0)
        # day 3: invoice A is 23 days overdue: 25 - 5 = level... (15 - 5, 30 - 5)
        run = self._run(self.TODAY + timedelta(days=3))
        line = self._line(run, self.partner)
        by_move = {li.move_id: li.level_id for li in line.line_invoice_ids}
        self.assertEqual(by_move[self.move_a], self.level1)
        # invoice B is 43 days overdue; level 3 at 60 - 5 = 55 not yet
        self.assertEqual(by_move[self.move_b], self.level2)
        self.assertIn("broken_promise", [i["code"] for i in line.explanation_data])
        self.assertIn("a promise to pay was broken", line.explanation)
        run = self._run(self.TODAY + timedelta(days=15))  # B: 55 days
        self.assertEqual(self._line(run, self.partner).level_id, self.level3)
