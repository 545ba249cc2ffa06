from datetime import timedelta

from odoo.tests import tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestPaymentRecord(CollectionsCommon):
    def _pay(self, moves, days_before_today):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids
        ).create(
            {"payment_date": self.TODAY - timedelta(days=days_before_today)}
        )._create_payments()

    def test_amount_weighted_days_late(self):
        partner = self._customer("Slow Payer")
        contact = self.env["res.partner"].create(
            {"name": "Accounts", "parent_id": partner.id}
        )
        late, on_time = self._overdue_batch(
            [(contact, 100, 100.0), (partner, 50, 300.0)]
        )
        self._pay(late, 40)  # 60 days late
        self._pay(on_time, 55)  # 5 days early: 0
        old = self._overdue(partner, 800, 1000.0)
        self._pay(old, 500)  # paid more than 12 months ago: not counted
        record = self.env["res.partner"]._collections_payment_record(
            self.company, today=self.TODAY
        )
        self.assertAlmostEqual(record[partner.id][0], 15.0)
        self.assertAlmostEqual(record[partner.id][1], 400.0)
        only = self.env["res.partner"]._collections_payment_record(
            self.company, partner_ids=[contact.id], today=self.TODAY
        )
        self.assertEqual(only, {})  # commercial partners only
        # poor payer of little value: escalates 5 days faster
        self.policy.write(
            {
                "poor_payer_min_days_late": 10,
                "poor_payer_max_clv": 1000,
                "poor_payer_fewer_days": 5,
            }
        )
        move = self._overdue(partner, 26)
        line = self._line(self._run(), partner)
        self.assertEqual(
            line.line_invoice_ids.filtered(lambda li: li.move_id == move).level_id,
            self.level2,
        )
        item = line.explanation_data[1]
        self.assertEqual(item["code"], "poor_payer")
        self.assertAlmostEqual(item["avg_days_late"], 15.0)
        self.assertIn("Escalated 5 days earlier: paid 15.0 days late", line.explanation)
        # above the value threshold: no faster escalation
        self.policy.poor_payer_max_clv = 1
        self.env["crm.lifecycle.profile"].sudo().create(
            {
                "partner_id": partner.id,
                "company_id": self.company.id,
                "predicted_clv": 50,
            }
        )
        line = self._line(self._run(self.TODAY + timedelta(days=1)), partner)
        self.assertFalse("poor_payer" in str(line.explanation_data))
