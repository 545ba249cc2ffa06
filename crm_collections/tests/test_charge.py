from datetime import timedelta

from odoo.tests import tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestCharge(CollectionsCommon):
    """Fee and interest: interest = rate x amount due x days / 365."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.level2.write({"fee_amount": 10.0, "interest_rate": 12.0})
        cls.level3.write({"interest_rate": 12.0})
        cls.customer = cls._customer("Late Payer")
        cls.move = cls._overdue(cls.customer, 40, 1000.0)

    def _send_run(self, today=None):
        run = self._run(today=today)
        run.action_validate()
        self.env["crm.collections.line"]._cron_collections_send()
        return self._line(run, self.customer)

    def test_fee_and_interest_once(self):
        line = self._send_run()
        self.assertEqual(line.state, "sent")
        charge = line.charge_move_id
        self.assertTrue(charge.collections_charge)
        self.assertEqual(charge.state, "draft")  # default: draft
        self.assertEqual(charge.partner_id, self.customer)
        # 12 % x 1000 x 40 / 365 = 13.1506... -> 13.15
        self.assertAlmostEqual(line.interest_charged, 13.15)
        self.assertAlmostEqual(line.fee_charged, 10.0)
        self.assertAlmostEqual(charge.amount_total, 23.15)
        self.assertEqual(self.move.collections_interest_date, self.TODAY)
        # both on the letter
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html(
                "crm_collections.action_report_dunning_letter", line.ids
            )[0]
            .decode()
        )
        self.assertIn("13.15", html)
        self.assertIn("10.00", html)

        # 20 days later the invoice reaches level 3: only the 20 new days
        later = self._send_run(today=self.TODAY + timedelta(days=20))
        self.assertEqual(later.level_id, self.level3)
        # 12 % x 1000 x 20 / 365 = 6.5753... -> 6.58
        self.assertAlmostEqual(later.interest_charged, 6.58)
        self.assertFalse(later.fee_charged)
        self.assertEqual(
            self.move.collections_interest_date, self.TODAY + timedelta(days=20)
        )

    def test_posted_charge_never_charged_itself(self):
        self.policy.charge_post = True
        line = self._send_run()
        charge = line.charge_move_id
        self.assertEqual(charge.state, "posted")
        # the charge invoice itself falls overdue: no fee, no interest on it
        charge.invoice_date_due = self.TODAY - timedelta(days=45)
        charge.line_ids.filtered("date_maturity").date_maturity = (
            self.TODAY - timedelta(days=45)
        )
        self.move.collections_interest_date = self.TODAY + timedelta(days=20)
        later = self._send_run(today=self.TODAY + timedelta(days=20))
        self.assertIn(charge, later.line_invoice_ids.move_id)
        self.assertFalse(later.charge_move_id)
        self.assertFalse(later.interest_charged)
