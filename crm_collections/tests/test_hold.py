from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestHold(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Hold = cls.env["crm.collections.hold"]
        cls.collector = new_test_user(
            cls.env,
            login="hold_collector",
            groups="base.group_user,crm_collections.group_collections_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _pay(self, moves):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=moves.ids
        ).create({"payment_date": self.TODAY})._create_payments()

    def _evaluate(self, company=None):
        return self.Hold._collections_evaluate_holds(
            company or self.company, self.TODAY
        )

    def _active(self, partner, company=None):
        return self.Hold.search(
            [
                ("partner_id", "=", partner.id),
                ("company_id", "=", (company or self.company).id),
                ("state", "=", "active"),
            ]
        )

    def test_days_overdue_set_idempotent_and_lifted_when_paid(self):
        self.company.crm_collections_hold_days_overdue = 45
        late = self._customer("Late Ltd")
        contact = self.env["res.partner"].create({"name": "AP", "parent_id": late.id})
        fine = self._customer("Fine Ltd")
        moves = self._overdue_batch([(contact, 50, 300.0), (late, 10, 100.0)])
        self._overdue(fine, 45, 500.0)  # on the threshold: not over it
        created, lifted = self._evaluate()
        self.assertEqual(created.partner_id, late)
        self.assertFalse(lifted)
        hold = self._active(late)
        self.assertEqual(hold.reason, "days_overdue")
        self.assertEqual(hold.amount, 400.0)
        self.assertIn("50 days overdue", hold.details)
        self.assertEqual(hold.set_by_id, self.env.user)
        self.assertTrue(hold.message_ids)
        self.assertFalse(self._active(fine))
        # twice: nothing new
        created, __ = self._evaluate()
        self.assertFalse(created)
        self.assertEqual(self.Hold.search_count([("partner_id", "=", late.id)]), 1)
        # the API called twice does not hold twice either
        self.assertFalse(
            self.Hold._collections_put_on_hold(late, self.company, "manual", "again")
        )
        # the old invoice paid: still one overdue, the hold stays
        self._pay(moves[0])
        self._evaluate()
        self.assertTrue(self._active(late))
        # everything paid: lifted automatically (by the reconciliation)
        self._pay(moves[1])
        self.assertEqual(hold.state, "lifted")
        self.assertFalse(self._evaluate()[0])
        self.assertTrue(hold.date_lifted)
        self.assertTrue(hold.lift_reason)

    def test_lifted_on_payment_reconciliation(self):
        self.company.crm_collections_hold_days_overdue = 10
        partner = self._customer("Pays Now")
        manual = self._customer("Manual Pays")
        moves = self._overdue_batch([(partner, 20, 100.0), (manual, 20, 100.0)])
        self._evaluate()
        hold = self._active(partner)
        self.assertTrue(hold)
        manual_hold = self._active(manual)
        manual_hold._collections_lift("by hand")
        manual_hold = self.Hold._collections_put_on_hold(
            manual, self.company, "manual", "Bounced cheque"
        )
        self._pay(moves)  # no evaluation: the reconciliation lifts
        self.assertEqual(hold.state, "lifted")
        self.assertEqual(manual_hold.state, "active")

    def test_threshold_off(self):
        partner = self._customer("Very Late")
        self._overdue(partner, 400)
        self.assertFalse(self._evaluate()[0])
        # the managers' button evaluates the current company
        self.company.crm_collections_hold_days_overdue = 30
        self.Hold.action_collections_evaluate_holds()
        self.assertEqual(self._active(partner).reason, "days_overdue")

    def test_last_level_via_dunning_run(self):
        partners = [self._customer(f"Level {i}") for i in range(2)]
        self._overdue_batch([(partners[0], 70, 100.0), (partners[1], 35, 100.0)])
        run = self._run()
        self.assertFalse(self._active(partners[0]))  # in review: not yet
        run.action_validate()
        hold = self._active(partners[0])
        self.assertEqual(hold.reason, "last_level")
        self.assertFalse(self._active(partners[1]))
        # super() still hands over
        self.assertEqual(len(self._line(run, partners[0]).activity_ids), 1)
        self.assertEqual(self._line(run, partners[0]).hold_id, hold)

    def test_credit_limit(self):
        over = self._customer("Over Limit")
        under = self._customer("Under Limit")
        over.with_company(self.company).credit_limit = 500.0
        under.with_company(self.company).credit_limit = 500.0
        over_moves = self._overdue_batch([(over, -10, 400.0), (over, -5, 200.0)])
        self._overdue(under, -10, 400.0)
        # credit limits not used by the company: no hold
        self.company.account_use_credit_limit = False
        self.assertFalse(self._evaluate()[0])
        self.company.account_use_credit_limit = True
        created, __ = self._evaluate()
        self.assertEqual(created.partner_id, over)
        self.assertEqual(created.reason, "credit_limit")
        self.assertEqual(created.amount, 600.0)
        self.assertIn("credit limit", created.details)
        # the limit of another company does not count
        self.assertFalse(self._evaluate(self.company_2)[0])
        # limit raised: the evaluation lifts the hold
        over.with_company(self.company).credit_limit = 1000.0
        __, lifted = self._evaluate()
        self.assertEqual(lifted, created)
        # over again, then paid down under the limit: lifted on payment
        over.with_company(self.company).credit_limit = 500.0
        hold = self._evaluate()[0]
        self.assertEqual(hold.partner_id, over)
        self._pay(over_moves[1])
        self.assertEqual(hold.state, "lifted")

    def test_credit_limit_company_default(self):
        partner = self._customer("Default Limit")
        self.env["ir.default"].set(
            "res.partner", "credit_limit", 100.0, company_id=self.company.id
        )
        self.company.account_use_credit_limit = True
        self._overdue(partner, -3, 150.0)
        created, __ = self._evaluate()
        self.assertEqual(created.partner_id, partner)

    def test_manual_hold_not_lifted_automatically(self):
        partner = self._customer("Manual Ltd")
        hold = self.Hold.with_user(self.collector).create(
            {"partner_id": partner.id, "details": "Bounced cheque"}
        )
        self.assertEqual(hold.reason, "manual")
        self.assertEqual(hold.set_by_id, self.collector)
        self._evaluate()
        self.assertEqual(hold.state, "active")
        with self.assertRaises(ValidationError):
            self.Hold.with_user(self.collector).create(
                {"partner_id": partner.id, "details": "twice"}
            )
        with self.assertRaises(ValidationError):
            self.Hold.with_user(self.collector).create(
                {"partner_id": self._customer("No reason").id, "details": " "}
            )

    def test_lift_needs_reason_and_group(self):
        partner = self._customer("Lift Ltd")
        hold = self.Hold._collections_put_on_hold(partner, self.company, "manual", "x")
        Wizard = self.env["crm.collections.hold.lift"]
        with self.assertRaises(UserError):
            hold.with_user(self.collector)._collections_lift("  ")
        with self.assertRaises(AccessError):
            Wizard.with_user(self.salesman).create(
                {"hold_ids": [Command.set(hold.ids)], "reason": "friend"}
            )
        with self.assertRaises(AccessError):
            hold.with_user(self.salesman)._collections_lift("friend")
        with self.assertRaises(AccessError):
            hold.with_user(self.salesman).action_lift()
        wizard = Wizard.with_user(self.collector).create(
            {"hold_ids": [Command.set(hold.ids)], "reason": "Paid by transfer"}
        )
        wizard.action_lift()
        self.assertEqual(hold.state, "lifted")
        self.assertEqual(hold.lifted_by_id, self.collector)
        self.assertEqual(hold.lift_reason, "Paid by transfer")
        # lifting again does nothing
        self.assertFalse(hold._collections_lift("again"))

    def test_access_rights(self):
        partner = self._customer("Rights Ltd")
        hold = self.Hold._collections_put_on_hold(
            partner, self.company, "days_overdue", "x"
        )
        with self.assertRaises(AccessError):
            self.Hold.with_user(self.salesman).create(
                {"partner_id": partner.id, "details": "no"}
            )
        with self.assertRaises(AccessError):
            hold.with_user(self.salesman).read(["state"])
        # a collector cannot forge the state or origin by RPC
        with self.assertRaises(AccessError):
            hold.with_user(self.collector).write({"state": "lifted"})
        with self.assertRaises(AccessError):
            self.Hold.with_user(self.collector).create(
                {"partner_id": self._customer("x").id, "details": "y", "reason": "risk"}
            )
        with self.assertRaises(AccessError):
            hold.with_user(self.collector).unlink()
        with self.assertRaises(AccessError):
            self.Hold.with_user(self.collector).action_collections_evaluate_holds()
        # collectors read the credit limit data (account's groups)
        self.assertEqual(
            partner.with_user(self.collector).with_company(self.company).credit_limit,
            0.0,
        )
        # the salesman still sees the banner on the customer
        self.assertIn(
            "credit hold",
            partner.with_user(self.salesman).crm_collections_hold_message,
        )

    def test_multi_company(self):
        partner = self._customer("Two Companies")
        self.Hold._collections_put_on_hold(partner, self.company_2, "manual", "B only")
        self.assertFalse(self._active(partner))
        self.assertFalse(
            partner.with_company(self.company).crm_collections_hold_message
        )
        self.assertTrue(
            partner.with_company(self.company_2).crm_collections_hold_message
        )
        # a collector of company A does not see company B's hold
        self.assertFalse(
            self.Hold.with_user(self.collector).search(
                [("partner_id", "=", partner.id)]
            )
        )

    def test_job_evaluates_before_dunning(self):
        self.company.crm_collections_hold_days_overdue = 5
        partner = self._customer("Job Ltd")
        self._overdue(partner, 20)
        self.Run._cron_collections_run(today=self.TODAY)
        hold = self._active(partner)
        self.assertEqual(hold.reason, "days_overdue")
        self.assertTrue(
            self.Run.search(
                [("company_id", "=", self.company.id), ("date", "=", self.TODAY)]
            )
        )

    def test_evaluation_query_count_does_not_grow(self):
        self.company.crm_collections_hold_days_overdue = 5

        def count(n, tag):
            partners = [self._customer(f"{tag} {i}") for i in range(n)]
            self._overdue_batch([(partner, 20, 100.0) for partner in partners])
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            created, __ = self._evaluate()
            self.assertEqual(len(created), n)
            return self.cr.sql_log_count - before

        count(1, "Warm-up")  # caches
        self.assertEqual(count(2, "Few"), count(12, "Many"))

    def test_workspace_shows_and_filters_holds(self):
        held = self._customer("Held Ltd")
        free = self._customer("Free Ltd")
        self._overdue_batch([(held, 20, 100.0), (free, 20, 100.0)])
        hold = self.Hold._collections_put_on_hold(
            held, self.company, "manual", "Cheque returned"
        )
        Workspace = self.env["crm.collections.workspace"]
        Workspace._collections_refresh_workspace(self.company)
        rows = Workspace.search(
            [
                ("partner_id", "in", (held | free).ids),
                ("company_id", "=", self.company.id),
            ]
        )
        self.assertEqual(len(rows), 2)
        on_hold = rows.filtered_domain([("on_hold", "=", True)])
        self.assertEqual(on_hold.partner_id, held)
        self.assertEqual(on_hold.hold_id, hold)
        self.assertEqual(
            Workspace.search([("id", "in", rows.ids), ("on_hold", "=", True)]), on_hold
        )
        self.assertEqual(
            Workspace.search(
                [("id", "in", rows.ids), ("on_hold", "=", False)]
            ).partner_id,
            free,
        )
