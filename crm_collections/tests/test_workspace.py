from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common_workspace import WorkspaceCommon


@tagged("post_install", "-at_install")
class TestWorkspace(WorkspaceCommon):
    """The set-based refresh, the collector's buttons, access and companies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alpha = cls._customer("WS Alpha")
        cls.beta = cls._customer("WS Beta")
        cls.gamma = cls._customer("WS Gamma")
        cls.alpha_moves = cls._overdue_batch(
            [(cls.alpha, 10, 100.0), (cls.alpha, 75, 200.0), (cls.alpha, -5, 50.0)]
        )
        cls.beta_moves = cls._overdue_batch([(cls.beta, 120, 300.0)])
        # not overdue: no row
        cls._overdue_batch([(cls.gamma, -10, 70.0)])

    def test_refresh_inserts_updates_changed_and_zeroes_settled(self):
        inserted, updated, zeroed = self.Workspace._collections_refresh_workspace(
            self.company
        )
        self.assertEqual((inserted, updated, zeroed), (2, 0, 0))
        alpha, beta = self._row(self.alpha), self._row(self.beta)
        self.assertFalse(self._row(self.gamma), "nothing overdue: no row")
        self.assertRecordValues(
            alpha,
            [
                {
                    "amount_due": 350.0,
                    "amount_overdue": 300.0,
                    "amount_current": 50.0,
                    "amount_1_30": 100.0,
                    "amount_31_60": 0.0,
                    "amount_61_90": 200.0,
                    "amount_over_90": 0.0,
                    "days_overdue_max": 75,
                    "promise_count": 0,
                }
            ],
        )
        self.assertEqual(beta.amount_over_90, 300.0)
        self.assertEqual(beta.days_overdue_max, 120)
        # nothing changed: nothing written
        self.assertEqual(
            self.Workspace._collections_refresh_workspace(self.company), (0, 0, 0)
        )
        # a promise and a partial payment of alpha: alpha only is updated
        self.env["crm.collections.promise"].create(
            {
                "partner_id": self.alpha.id,
                "company_id": self.company.id,
                "amount": 100.0,
                "date": self._days_ago(-7),
            }
        )
        self._pay(self.alpha_moves[1], 50.0, self.TODAY)
        self.assertEqual(
            self.Workspace._collections_refresh_workspace(self.company), (0, 1, 0)
        )
        self.assertRecordValues(
            alpha,
            [{"amount_61_90": 150.0, "promise_count": 1, "promise_amount": 100.0}],
        )
        # beta pays everything: its row is zeroed, not deleted
        self._pay(self.beta_moves, 300.0, self.TODAY)
        self.assertEqual(
            self.Workspace._collections_refresh_workspace(self.company), (0, 0, 1)
        )
        self.assertRecordValues(
            beta, [{"amount_due": 0.0, "amount_overdue": 0.0, "amount_over_90": 0.0}]
        )
        self.assertEqual(
            self.Workspace._collections_refresh_workspace(self.company), (0, 0, 0)
        )
        self.assertNotIn(
            beta, self.Workspace.search([("amount_over_90", ">", 0)]), "bucket filter"
        )
        self.assertIn(alpha, self.Workspace.search([("amount_61_90", ">", 0)]))

    def test_dunning_run_refreshes(self):
        cron = self.env.ref("crm_collections.ir_cron_collections_workspace_refresh")
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search([("cron_id", "=", cron.id)])
        run = self._run()
        self.assertTrue(run.line_ids)
        # the generation triggers the refresh job, which updates the row
        self.assertTrue(Trigger.search([("cron_id", "=", cron.id)]) - before)
        self.Workspace._cron_collections_workspace()
        row = self._row(self.beta)
        self.assertEqual(row.amount_over_90, 300.0)
        self.assertIn(self.beta, run.line_ids.partner_id)

    def test_daily_job_refreshes(self):
        self.Workspace._collections_refresh_workspace(self.company)
        late = self._customer("WS Late")
        self._overdue(late, 3, 40.0)
        self.assertFalse(self._row(late))
        self.Run._cron_collections_run(self.TODAY)
        self.assertEqual(self._row(late).amount_1_30, 40.0)

    def test_refresh_query_count_does_not_grow(self):
        """Set-based: the same number of queries for 2 or 12 customers."""
        self.env.flush_all()
        self.env.cr.execute("SELECT 1")

        def count():
            self.Workspace.invalidate_model()
            before = self.env.cr.sql_log_count
            self.Workspace._collections_refresh_workspace(self.company)
            return self.env.cr.sql_log_count - before

        count()  # warm the caches
        small = count()
        customers = self.env["res.partner"].create(
            [{"name": f"WS Many {i}", "is_company": True} for i in range(10)]
        )
        self._overdue_batch([(customer, 20, 10.0) for customer in customers])
        self.env.flush_all()
        large = count()
        self.assertEqual(large, small)
        rows = self.Workspace.search([("partner_id", "in", customers.ids)])
        self.assertEqual(len(rows), 10)

    def test_record_promise_prefilled(self):
        self.Workspace._collections_refresh_workspace(self.company)
        row = self._row(self.alpha).with_user(self.collector)
        action = row.action_record_promise()
        self.assertEqual(action["res_model"], "crm.collections.promise")
        context = action["context"]
        self.assertEqual(context["default_partner_id"], self.alpha.id)
        self.assertEqual(context["default_amount"], 300.0)
        self.assertEqual(
            set(context["default_move_ids"]), set(self.alpha_moves[:2].ids)
        )
        promise = (
            self.env["crm.collections.promise"]
            .with_user(self.collector)
            .with_context(**context)
            .create({"date": self._days_ago(-10)})
        )
        self.assertEqual(promise.move_ids, self.alpha_moves[:2])
        row.invalidate_recordset()
        self.assertEqual(row.promise_ids, promise)
        self.assertEqual(
            set(row.invoice_ids.ids), set(self.alpha_moves.ids), "open invoices"
        )
        self.assertEqual(row.action_open_partner()["res_id"], self.alpha.id)
        self.assertEqual(
            row.action_schedule_activity()["res_model"], "mail.activity.schedule"
        )

    def test_lifecycle_figures_shown(self):
        profile = self.alpha._lifecycle_get_profiles(self.company)
        self.Workspace._collections_refresh_workspace(self.company)
        row = self._row(self.alpha)
        self.assertEqual(row.profile_id, profile)
        self.assertEqual(row.churn_risk, profile.churn_risk)
        self.assertEqual(row.predicted_clv, profile.predicted_clv)

    def test_access_rights(self):
        self.Workspace._collections_refresh_workspace(self.company)
        row = self._row(self.alpha)
        # a collector sets its fields, not the figures, and creates nothing
        as_collector = row.with_user(self.collector)
        as_collector.write(
            {
                "user_id": self.collector.id,
                "next_action": "call",
                "next_action_date": self.TODAY,
                "note": "Call the CFO",
            }
        )
        self.assertEqual(row.next_action, "call")
        for vals in (
            {"amount_overdue": 0.0},
            {"amount_61_90": 1.0},
            {"partner_id": self.beta.id},
            {"days_overdue_max": 0},
        ):
            with self.assertRaises(AccessError):
                as_collector.write(vals)
        with self.assertRaises(AccessError):
            self.Workspace.with_user(self.collector).create(
                {"partner_id": self.gamma.id, "company_id": self.company.id}
            )
        with self.assertRaises(AccessError):
            as_collector.unlink()
        self.Workspace.with_user(self.collector).action_refresh()
        # an accountant reads only
        as_accountant = row.with_user(self.accountant)
        self.assertEqual(as_accountant.amount_overdue, 300.0)
        with self.assertRaises(AccessError):
            as_accountant.write({"next_action": "email"})
        with self.assertRaises(AccessError):
            self.Workspace.with_user(self.accountant).action_refresh()
        # a salesman sees nothing
        with self.assertRaises(AccessError):
            self.Workspace.with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            self.env["crm.collections.aging"].with_user(self.salesman).search([])

    def test_multi_company(self):
        customer = self._customer("WS Other Company")
        self._overdue_batch([(customer, 40, 90.0)], company=self.company_2)
        self.Workspace._collections_refresh_workspace()
        row = self._row(customer, self.company_2)
        self.assertEqual(row.sudo().amount_31_60, 90.0)
        self.assertEqual(row.sudo().currency_id, self.company_2.currency_id)
        with self.assertRaises(AccessError):
            row.with_user(self.collector).next_action  # noqa: B018
        self.assertFalse(self._row(customer, self.company))
        visible = self.Workspace.with_user(self.collector).search([])
        self.assertNotIn(row, visible)
        self.assertIn(self._row(self.alpha), visible)
        aging = self.env["crm.collections.aging"].with_user(self.collector)
        self.assertFalse(aging.search([("partner_id", "=", customer.id)]))

    def test_aging_report(self):
        self.Workspace._collections_refresh_workspace(self.company)
        rows = self._row(self.alpha) | self._row(self.beta)
        html, __ = self.env["ir.actions.report"]._render_qweb_html(
            "crm_collections.report_aging", rows.ids
        )
        html = html.decode()
        self.assertIn("WS Alpha", html)
        self.assertIn("WS Beta", html)
        self.assertIn(self.company.currency_id.name, html)
