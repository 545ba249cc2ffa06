from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestSecurity(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()

        def user(login, groups, companies=None):
            companies = companies or cls.company
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=companies[0].id,
                company_ids=[Command.set(companies.ids)],
            )

        cls.collector = user(
            "coll_collector", "base.group_user,crm_collections.group_collections_user"
        )
        cls.coll_manager = user(
            "coll_manager", "base.group_user,crm_collections.group_collections_manager"
        )
        cls.accountant = user(
            "coll_accountant", "base.group_user,account.group_account_readonly"
        )
        cls.portal = user("coll_portal", "base.group_portal")
        cls.other_collector = user(
            "coll_other",
            "base.group_user,crm_collections.group_collections_user",
            cls.company_2,
        )
        cls.partner = cls._customer("Secure Ltd")
        cls._overdue(cls.partner, 20)
        cls.dunning_run = cls.Run.create(
            {"company_id": cls.company.id, "date": cls.TODAY}
        )
        cls.dunning_run._collections_generate()
        cls.line = cls.dunning_run.line_ids

    def test_manager_implies_collector(self):
        self.assertTrue(
            self.coll_manager.has_group("crm_collections.group_collections_user")
        )

    def test_collector(self):
        line = self.line.with_user(self.collector)
        self.assertEqual(line.partner_id, self.partner)
        line.write({"channel": "letter"})
        self.dunning_run.with_user(self.collector).action_validate()
        with self.assertRaises(AccessError):
            self.policy.with_user(self.collector).write({"name": "x"})
        with self.assertRaises(AccessError):
            self.env["crm.collections.policy"].with_user(self.collector).create(
                {
                    "name": "x",
                    "level_ids": [
                        Command.create({"name": "a", "days": 1, "channel": "none"})
                    ],
                }
            )
        with self.assertRaisesRegex(Exception, "collections manager"):
            self.Run.with_user(self.collector).action_new_run()
        self.env["crm.collections.block"].with_user(self.collector).create(
            {"partner_id": self.partner.id, "reason": "Talking"}
        )

    def test_engine_fields_not_writable(self):
        line = self.line.with_user(self.collector)
        for vals in (
            {"state": "sent"},
            {"state": "to_send"},
            {"amount_total": 1.0},
            {"explanation_data": []},
        ):
            with self.assertRaises(AccessError):
                line.write(vals)
        with self.assertRaises(AccessError):
            self.dunning_run.with_user(self.coll_manager).write({"state": "done"})
        with self.assertRaises(AccessError):
            self.line.line_invoice_ids.with_user(self.collector).write(
                {"days_overdue": 1}
            )
        with self.assertRaises(AccessError):
            self.dunning_run.with_user(self.collector)._collections_generate()
        # removing a line is allowed
        line.action_cancel()
        self.assertEqual(line.state, "cancelled")

    def test_manager(self):
        policy = (
            self.env["crm.collections.policy"]
            .with_user(self.coll_manager)
            .create(
                {
                    "name": "x",
                    "level_ids": [
                        Command.create({"name": "a", "days": 1, "channel": "none"})
                    ],
                }
            )
        )
        self.assertEqual(policy.company_id, self.company)

    def test_accountant_read_only(self):
        line = self.line.with_user(self.accountant)
        self.assertTrue(line.amount_total)
        self.assertTrue(line.line_invoice_ids)
        with self.assertRaises(AccessError):
            line.write({"channel": "letter"})
        with self.assertRaises(AccessError):
            self.env["crm.collections.block"].with_user(self.accountant).create(
                {"partner_id": self.partner.id, "reason": "x"}
            )

    def test_portal_none(self):
        for model in (
            "crm.collections.line",
            "crm.collections.run",
            "crm.collections.policy",
            "crm.collections.promise",
            "crm.collections.dispute",
        ):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.portal).search([])

    def test_multi_company(self):
        other_env = self.env(
            user=self.other_collector,
            context=dict(self.env.context, allowed_company_ids=self.company_2.ids),
        )
        Line = other_env["crm.collections.line"]
        self.assertFalse(Line.search([]))
        with self.assertRaises(AccessError):
            self.line.with_env(other_env).read(["amount_total"])
        # a run of the other company only sees that company's invoices
        self.env["crm.collections.policy"].with_company(self.company_2).create(
            {
                "name": "C2",
                "company_id": self.company_2.id,
                "is_default": True,
                "level_ids": [
                    Command.create({"name": "a", "days": 1, "channel": "letter"})
                ],
            }
        )
        partner_2 = self._customer("Other Co Ltd")
        self._overdue_batch([(partner_2, 5, 10.0)], company=self.company_2)
        run_2 = self._run(company=self.company_2)
        self.assertEqual(run_2.line_ids.partner_id, partner_2)
        self.assertEqual(Line.search([]).partner_id, partner_2)
