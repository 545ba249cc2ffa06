from datetime import timedelta

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import CollectionsCommon


class PaymentFixture(CollectionsCommon):
    """A customer with a hand-computed payment behaviour (TODAY 2026-06-30):

    - invoice A 10000 (dated and due TODAY-100) paid 4000 at TODAY-90 (10
      days late, 10 days to pay) and 6000 at TODAY-70 (30 late, 30 to pay);
    - invoice B 500 (dated TODAY-80, due TODAY-60): a credit note of 200
      reconciled with it (excluded), 300 paid at TODAY-62 (on time, 18 days
      to pay);
    - open invoices C 800 due TODAY-45 and D 200 due TODAY-10 (overdue
      1000, overdue since TODAY-45: 45 days), E 300 not due yet;
    - promises: one kept and one broken in the last 12 months, one broken
      before (not counted);
    - a dunning line at the second of three levels, sent 5 days ago.

    Paid 10300: days late (4000x10 + 6000x30) / 10300 = 21.36, days to pay
    (4000x10 + 6000x30 + 300x18) / 10300 = 21.88, on time 300 / 10300 =
    0.029. Revenue (12 months) 11800 - 200 = 11600.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = cls.TODAY
        cls.payer = cls._customer("Hand Computed")
        invoice_a = cls._overdue(cls.payer, 100, 10000.0)
        cls._pay(invoice_a, 90, 4000.0)
        cls._pay(invoice_a, 70, 6000.0)
        invoice_b = cls._overdue(
            cls.payer, 60, 500.0, invoice_date=today - timedelta(days=80)
        )
        refund = cls.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": cls.payer.id,
                "invoice_date": today - timedelta(days=61),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Return", "quantity": 1, "price_unit": 200.0}
                    )
                ],
            }
        )
        refund.invoice_line_ids.tax_ids = False
        refund.action_post()
        (invoice_b | refund).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).reconcile()
        cls._pay(invoice_b, 62)
        cls._overdue(cls.payer, 45, 800.0)
        cls._overdue(cls.payer, 10, 200.0)
        cls._overdue(cls.payer, -10, 300.0, invoice_date=today - timedelta(days=20))
        Promise = cls.env["crm.collections.promise"]
        for days, state in ((100, "kept"), (20, "broken"), (400, "broken")):
            Promise.create(
                {
                    "partner_id": cls.payer.id,
                    "company_id": cls.company.id,
                    "date": today - timedelta(days=days),
                    "amount": 100.0,
                }
            ).state = state
        run = cls.Run.sudo().create(
            {"company_id": cls.company.id, "date": today - timedelta(days=5)}
        )
        cls.Line.sudo().create(
            {
                "run_id": run.id,
                "partner_id": cls.payer.id,
                "company_id": cls.company.id,
                "policy_id": cls.policy.id,
                "level_id": cls.level2.id,
                "state": "sent",
            }
        )
        cls.LifecycleRun = cls.env["crm.lifecycle.run"]
        cls.Scoring = cls.env["crm.lifecycle.scoring"]

    @classmethod
    def _pay(cls, moves, days_before_today, amount=None):
        vals = {"payment_date": cls.TODAY - timedelta(days=days_before_today)}
        if amount:
            vals["amount"] = amount
        cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids
        ).create(vals)._create_payments()

    def _profile(self, partner, company=None):
        return (
            self.env["crm.lifecycle.profile"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", partner.id),
                    ("company_id", "=", (company or self.company).id),
                ]
            )
        )

    def _score(self, today=None, company=None):
        self.Scoring._scoring_score_company(
            company or self.company, today or self.TODAY
        )
        self.env.invalidate_all()


@tagged("post_install", "-at_install")
class TestPaymentBehaviour(PaymentFixture):
    def test_payment_figures(self):
        self._score()
        profile = self._profile(self.payer)
        self.assertRecordValues(
            profile,
            [
                {
                    "payment_days_late_avg": 21.4,
                    "payment_days_to_pay_avg": 21.9,
                    "payment_on_time_share": 0.029,
                    "overdue_amount": 1000.0,
                    "overdue_since": self.TODAY - timedelta(days=45),
                    "promise_kept_rate": 0.5,
                    "revenue_12m": 11600.0,
                }
            ],
        )

    def test_payment_record_excludes_credit_notes(self):
        """The dunning's payment record reads the same payments: the credit
        note is not a payment."""
        record = self.env["res.partner"]._collections_payment_record(
            self.company, today=self.TODAY
        )
        days_late, amount = record[self.payer.id]
        self.assertAlmostEqual(amount, 10300.0)
        self.assertAlmostEqual(days_late, 220000 / 10300)

    def test_no_receivable_activity(self):
        """A customer without payments, overdue invoices, promises or
        dunning has zero figures and no financial risk."""
        quiet = self._customer("Quiet")
        self._overdue(quiet, -20, 100.0, invoice_date=self.TODAY - timedelta(days=5))
        self._score()
        profile = self._profile(quiet)
        self.assertTrue(profile)
        self.assertRecordValues(
            profile,
            [
                {
                    "payment_days_late_avg": 0.0,
                    "payment_on_time_share": 0.0,
                    "overdue_amount": 0.0,
                    "overdue_since": False,
                    "overdue_days_max": 0,
                    "promise_kept_rate": 0.0,
                    "financial_risk_level": False,
                    "financial_risk_components": False,
                }
            ],
        )
        self.assertFalse(profile.financial_risk_explanation)

    def test_search_and_partner_fields(self):
        self._score()
        Partner = self.env["res.partner"]
        self.assertEqual(self.payer.collections_overdue_amount, 1000.0)
        # the days are counted from the stored date to the reader's today
        with freeze_time(self.TODAY):
            self.env.invalidate_all()
            self.assertEqual(self.payer.collections_overdue_days_max, 45)
            self.assertIn(
                self.payer,
                Partner.search([("collections_overdue_days_max", ">", 30)]),
            )
            self.assertNotIn(
                self.payer,
                Partner.search([("collections_overdue_days_max", "<", 45)]),
            )
        with freeze_time(self.TODAY + timedelta(days=10)):
            self.env.invalidate_all()
            self.assertEqual(self.payer.collections_overdue_days_max, 55)
        self.assertIn(
            self.payer,
            Partner.search([("collections_risk_level", "=", "medium")]),
        )
        groups = self.env["crm.lifecycle.profile"]._read_group(
            [("company_id", "=", self.company.id), ("partner_id", "=", self.payer.id)],
            ["financial_risk_level"],
            ["overdue_amount:sum"],
        )
        self.assertIn(("medium", 1000.0), [(g[0], g[1]) for g in groups])

    @freeze_time("2026-06-30")
    def test_search_days_overdue(self):
        """``overdue_days_max`` is not stored: its search translates the
        days into a domain on ``overdue_since`` (0 days: nothing overdue)."""
        quiet = self._customer("Quiet")
        self._overdue(quiet, -20, 100.0, invoice_date=self.TODAY - timedelta(days=5))
        self._score()
        Profile = self.env["crm.lifecycle.profile"]
        payer, quiet = self._profile(self.payer), self._profile(quiet)
        both = payer | quiet
        for operator, days, expected in (
            ("=", 45, payer),
            ("=", 44, Profile),
            ("=", 0, quiet),
            ("!=", 0, payer),
            ("!=", 45, quiet),
            (">", 44, payer),
            (">", 45, Profile),
            (">", 0, payer),
            (">=", 45, payer),
            (">=", 0, both),
            ("<", 45, quiet),
            ("<", 46, both),
            ("<=", 45, both),
            ("<=", 44, quiet),
        ):
            found = Profile.search(
                [("id", "in", both.ids), ("overdue_days_max", operator, days)]
            )
            self.assertEqual(found, expected, (operator, days))
