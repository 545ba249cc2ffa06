from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestSecurity(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.setup_other_company()["company"]
        cls.customer = cls._customer("Secure Ltd")
        cls._invoice(cls.customer, "2026-06-01", 100)
        cls._invoice(cls.customer, "2026-06-02", 100, company=cls.company_2)
        cls.profile = cls._score_class(cls.customer, cls.company)
        cls.profile_2 = cls._score_class(cls.customer, cls.company_2)
        company_ids = [Command.set(cls.company.ids)]
        cls.salesman = new_test_user(
            cls.env,
            login="lc_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=cls.company.id,
            company_ids=company_ids,
        )
        cls.user = new_test_user(
            cls.env,
            login="lc_user",
            groups="base.group_user,crm_lifecycle.group_lifecycle_user",
            company_id=cls.company.id,
            company_ids=company_ids,
        )
        cls.employee = new_test_user(
            cls.env,
            login="lc_employee",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=company_ids,
        )
        cls.portal = new_test_user(
            cls.env, login="lc_portal", groups="base.group_portal"
        )

    @classmethod
    def _score_class(cls, partner, company):
        Profile = cls.env["crm.lifecycle.profile"]
        Profile._lifecycle_score_company(company, date(2026, 6, 30))
        return Profile.search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
        )

    def test_salesman_reads_only(self):
        profile = self.profile.with_user(self.salesman)
        self.assertEqual(profile.stage_id.kind, "new")
        self.assertTrue(profile.history_ids)
        with self.assertRaises(AccessError):
            profile.action_recompute()
        with self.assertRaises(AccessError):
            self.env["crm.lifecycle.stage.override"].with_user(self.salesman).create(
                {
                    "profile_ids": [Command.set(profile.ids)],
                    "stage_id": self.stages["loyal"].id,
                    "reason": "no",
                }
            )
        with self.assertRaises(AccessError):
            self.stages["loyal"].with_user(self.salesman).name = "Renamed"

    def test_user_recomputes_but_does_not_override_or_configure(self):
        profile = self.profile.with_user(self.user)
        profile.action_recompute()
        with self.assertRaises(AccessError):
            self.env["crm.lifecycle.stage.override"].with_user(self.user).create(
                {
                    "profile_ids": [Command.set(profile.ids)],
                    "stage_id": self.stages["loyal"].id,
                    "reason": "no",
                }
            )
        with self.assertRaises(AccessError):
            self.env["crm.lifecycle.stage"].with_user(self.user).create(
                {"name": "Mine", "kind": "loyal"}
            )
        with self.assertRaises(AccessError):
            self.env["crm.lifecycle.segment"].with_user(self.user).create(
                {"name": "Mine"}
            )

    def test_manager_configures(self):
        stage = (
            self.env["crm.lifecycle.stage"]
            .with_user(self.manager)
            .create({"name": "VIP", "kind": "loyal"})
        )
        self.assertEqual(stage.kind, "loyal")

    def test_plain_employee_and_portal_see_nothing(self):
        for user in (self.employee, self.portal):
            with self.assertRaises(AccessError):
                self.profile.with_user(user).read(["stage_id"])
            with self.assertRaises(AccessError):
                self.env["crm.lifecycle.history"].with_user(user).search([])

    def test_multi_company_isolation(self):
        Profile = self.env["crm.lifecycle.profile"].with_user(self.user)
        visible = Profile.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(visible, self.profile)
        History = self.env["crm.lifecycle.history"].with_user(self.user)
        self.assertEqual(
            History.search([("partner_id", "=", self.customer.id)]).company_id,
            self.company,
        )
        with self.assertRaises(AccessError):
            self.profile_2.with_user(self.user).read(["revenue_total"])
        Run = self.env["crm.lifecycle.run"]
        run_2 = Run.sudo().create(
            {"company_id": self.company_2.id, "date": date.today()}
        )
        self.assertNotIn(run_2, Run.with_user(self.user).search([]))
