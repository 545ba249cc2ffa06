from odoo.tests import tagged

from .common_workspace import WorkspaceCommon


@tagged("post_install", "-at_install")
class TestAging(WorkspaceCommon):
    """Aging buckets on the boundary days and in two currencies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Aging Boundaries")
        cls.days = (0, 1, 30, 31, 60, 61, 90, 91)
        cls.moves = cls._overdue_batch(
            [(cls.customer, days, 100.0 + days) for days in cls.days]
        )
        cls.Aging = cls.env["crm.collections.aging"]

    def test_buckets_on_boundary_days(self):
        expected = {
            0: "current",
            1: "1_30",
            30: "1_30",
            31: "31_60",
            60: "31_60",
            61: "61_90",
            90: "61_90",
            91: "over_90",
        }
        items = self.Aging.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(items), len(self.days))
        for item in items:
            days = round(item.amount_residual) - 100
            self.assertEqual(item.days_overdue, days)
            self.assertEqual(item.bucket, expected[days], f"{days} days overdue")
            self.assertEqual(item.move_id.commercial_partner_id, self.customer)
            self.assertEqual(item.company_id, self.company)

    def test_contact_counts_for_commercial_entity(self):
        contact = self.env["res.partner"].create(
            {"name": "Aging Contact", "parent_id": self.customer.id}
        )
        move = self._overdue(contact, 10, 50.0)
        item = self.Aging.search([("move_id", "=", move.id)])
        self.assertEqual(item.partner_id, self.customer)
        self.assertEqual(item.bucket, "1_30")

    def test_two_currencies(self):
        other = self.setup_other_currency("EUR")
        customer = self._customer("Aging Two Currencies")
        eur = self._overdue(customer, 45, 300.0, currency=other)
        own = self._overdue(customer, 45, 80.0)
        items = self.Aging.search([("partner_id", "=", customer.id)])
        by_move = {item.move_id: item for item in items}
        self.assertEqual(by_move[eur].currency_id, other)
        self.assertAlmostEqual(by_move[eur].amount_residual_currency, 300.0)
        # the rate of the test currency: 2 EUR for 1 of the company's currency
        self.assertAlmostEqual(by_move[eur].amount_residual, 150.0)
        self.assertEqual(by_move[own].currency_id, self.company.currency_id)
        self.assertAlmostEqual(by_move[own].amount_residual, 80.0)
        groups = self.Aging._read_group(
            [("partner_id", "=", customer.id)],
            ["bucket", "currency_id"],
            ["amount_residual:sum", "amount_residual_currency:sum"],
        )
        self.assertEqual(
            sorted((b, c.name, a, ac) for b, c, a, ac in groups),
            sorted(
                [
                    ("31_60", "EUR", 150.0, 300.0),
                    ("31_60", self.company.currency_id.name, 80.0, 80.0),
                ]
            ),
        )
        # the workspace sums the bucket in the company's currency
        self.Workspace._collections_refresh_workspace(self.company)
        self.assertAlmostEqual(self._row(customer).amount_31_60, 230.0)

    def test_partial_payment_and_paid(self):
        customer = self._customer("Aging Paid")
        move = self._overdue(customer, 20, 500.0)
        self._pay(move, 200.0, self.TODAY)
        item = self.Aging.search([("move_id", "=", move.id)])
        self.assertAlmostEqual(item.amount_residual, 300.0)
        self._pay(move, 300.0, self.TODAY)
        self.assertFalse(self.Aging.search([("move_id", "=", move.id)]))
