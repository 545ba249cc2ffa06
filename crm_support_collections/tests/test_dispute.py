from datetime import timedelta

from odoo.tests import tagged

from odoo.addons.crm_collections.tests.common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestComplaintDispute(CollectionsCommon):
    """A complaint about an invoice disputes it for dunning while open."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id += cls.env.ref("crm_support_ext.group_support_user")
        cls.partner = cls._customer("Complaining Ltd")
        cls.move_a, cls.move_b = cls._overdue_batch(
            [(cls.partner, 20, 100.0), (cls.partner, 20, 200.0)]
        )
        cls.Dispute = cls.env["crm.collections.dispute"]
        cls.complaint = cls.env.ref("crm_support_ext.helpdesk_ticket_type_complaint")
        cls.assistance = cls.env.ref("crm_support_ext.helpdesk_ticket_type_assistance")
        cls.stage_new = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        cls.stage_done = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")

    def _ticket(self, **vals):
        return self.env["helpdesk.ticket"].create(
            {
                "name": "Wrong price",
                "description": "<p>Billed twice.</p>",
                "partner_id": self.partner.id,
                "type_id": self.complaint.id,
                "invoice_id": self.move_b.id,
                **vals,
            }
        )

    def _disputes(self, ticket, state="open"):
        return self.Dispute.search(
            [
                ("source_ref", "=", f"helpdesk.ticket,{ticket.id}"),
                ("state", "=", state),
            ]
        )

    def _skips(self, run):
        line = self._line(run, self.partner)
        return line, {li.move_id: li.skip_reason for li in line.line_invoice_ids}

    def test_complaint_disputes_invoice_until_closed(self):
        ticket = self._ticket()
        dispute = self._disputes(ticket)
        self.assertEqual(dispute.move_id, self.move_b)
        self.assertIn(ticket.number, dispute.reason)
        self.assertTrue(self.move_b.crm_collections_disputed)
        line, skips = self._skips(self._run())
        self.assertEqual(skips[self.move_b], "dispute")
        self.assertFalse(skips[self.move_a])
        self.assertIn(
            f"Invoice {self.move_b.name} not dunned: Disputed.", line.explanation
        )
        # closing the complaint lifts the dispute: the next run duns it
        ticket.stage_id = self.stage_done
        self.assertFalse(self._disputes(ticket))
        self.assertEqual(self._disputes(ticket, "closed"), dispute)
        self.move_b.invalidate_recordset()
        self.assertFalse(self.move_b.crm_collections_disputed)
        __, skips = self._skips(self._run(self.TODAY + timedelta(days=1)))
        self.assertFalse(skips[self.move_b])
        # reopening the complaint reopens a dispute
        ticket.stage_id = self.stage_new
        self.assertEqual(self._disputes(ticket).move_id, self.move_b)

    def test_manual_dispute_survives_complaint_close(self):
        ticket = self._ticket()
        manual = self.Dispute._collections_open_dispute(
            self.move_b, reason="Collector: customer disputes the delivery"
        )
        ticket.stage_id = self.stage_done
        self.assertEqual(manual.state, "open")
        self.move_b.invalidate_recordset()
        self.assertTrue(self.move_b.crm_collections_disputed)
        __, skips = self._skips(self._run())
        self.assertEqual(skips[self.move_b], "dispute")

    def test_invoice_change_moves_dispute(self):
        ticket = self._ticket()
        ticket.invoice_id = self.move_a
        self.assertEqual(self._disputes(ticket).move_id, self.move_a)
        self.assertEqual(self._disputes(ticket, "closed").move_id, self.move_b)
        ticket.invoice_id = False
        self.assertFalse(self._disputes(ticket))

    def test_assistance_request_no_dispute(self):
        ticket = self._ticket(type_id=self.assistance.id)
        self.assertFalse(self._disputes(ticket))
        self.move_b.invalidate_recordset()
        self.assertFalse(self.move_b.crm_collections_disputed)
        # becoming a complaint opens it, going back closes it
        ticket.type_id = self.complaint
        self.assertTrue(self._disputes(ticket))
        ticket.type_id = self.assistance
        self.assertFalse(self._disputes(ticket))

    def test_batch_queries_do_not_grow(self):
        """Syncing many closed complaints at once costs the same queries for
        2 as for 6 tickets (no per-ticket query)."""
        warm = self._ticket()  # a first round loads the access rules
        few = self.env["helpdesk.ticket"]
        many = self.env["helpdesk.ticket"]
        for __ in range(2):
            few |= self._ticket()
        for __ in range(6):
            many |= self._ticket()
        counts = []
        for tickets in (warm, few, many):
            self.env.flush_all()
            self.env.cr.execute(
                "UPDATE helpdesk_ticket SET stage_id = %s WHERE id IN %s",
                (self.stage_done.id, tuple(tickets.ids)),
            )
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            tickets._support_collections_sync_disputes()
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
            self.assertFalse(self._disputes(tickets[0]))
        self.assertEqual(counts[1], counts[2])
