from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestCollectionsWorkspaceTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.collector = new_test_user(
            cls.env,
            login="workspace_collector",
            groups="base.group_user,account.group_account_invoice,"
            "crm_collections.group_collections_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        today = fields.Date.today()
        cls.slow = cls.env["res.partner"].create(
            {"name": "Tour Slow Payer", "is_company": True}
        )
        cls.recent = cls.env["res.partner"].create(
            {"name": "Tour Recent Payer", "is_company": True}
        )
        cls.moves = cls.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "invoice_date": today - timedelta(days=days + 30),
                    "invoice_date_due": today - timedelta(days=days),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Goods",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    ],
                }
                for partner, days, amount in (
                    (cls.slow, 70, 700.0),
                    (cls.recent, 10, 250.0),
                )
            ]
        )
        cls.moves.action_post()
        # their financial risk, which the collector reads in the workspace
        (cls.slow | cls.recent)._lifecycle_get_profiles(
            cls.company.root_id
        )._lifecycle_recompute()
        cls.env["crm.collections.workspace"]._collections_refresh_workspace()

    def test_workspace_promise(self):
        """A collector opens the workspace, filters the 61-90 bucket, opens
        the customer and records a promise to pay, prefilled."""
        self.start_tour(
            "/odoo/action-crm_collections.crm_collections_workspace_action",
            "crm_collections_workspace",
            login=self.collector.login,
        )
        promise = self.env["crm.collections.promise"].search(
            [("partner_id", "=", self.slow.id)]
        )
        self.assertEqual(len(promise), 1)
        self.assertEqual(promise.amount, 700.0)
        self.assertEqual(promise.move_ids, self.moves[0])
        self.assertEqual(promise.company_id, self.company)

    def test_dashboard(self):
        """The Collections dashboard shows the workspace's overdue total."""
        self.start_tour(
            "/odoo/action-crm_collections.crm_collections_dashboard_action",
            "crm_collections_dashboard",
            login="admin",
        )
