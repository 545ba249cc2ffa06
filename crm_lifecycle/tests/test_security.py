from datetime import date

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import LifecycleCommon

# Queries of reading the contact's Lifecycle page: the profile's search and
# read, its stage history, the display names of its many2one fields.
QUERIES_CONTACT_PAGE = 8


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
        cls.env["crm.lifecycle.scoring"]._scoring_score_company(
            company, date(2026, 6, 30)
        )
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

    def test_engine_fields_are_read_only_to_every_client(self):
        """Users write no engine field, by RPC or with any context key."""
        for user in (self.user, self.manager):
            profile = self.profile.with_user(user)
            for vals in (
                {"revenue_total": 1e9},
                {"stage_locked": True},
                {"segment_id": False},
            ):
                with self.assertRaises(AccessError):
                    profile.write(vals)
            with self.assertRaises(AccessError):
                profile.with_context(lifecycle_stage_write=True).write(
                    {"stage_id": self.stages["loyal"].id}
                )
        with self.assertRaises(AccessError):
            self.env["crm.lifecycle.profile"].with_user(self.manager).create(
                {
                    "partner_id": self._customer("Forged").id,
                    "revenue_total": 5,
                }
            )
        self.assertEqual(self.profile.stage_id.kind, "new")

    def test_manager_rights_checked_on_the_server(self):
        profile = self.profile.with_user(self.user)
        with self.assertRaises(AccessError):
            profile.action_unlock_stage()
        with self.assertRaises(AccessError):
            profile._lifecycle_set_stage(self.stages["loyal"], "by RPC")
        with self.assertRaises(AccessError):
            self.env["crm.lifecycle.run"].with_user(self.user).action_run_now()
        # The manager may.
        self.profile.with_user(self.manager)._lifecycle_set_stage(
            self.stages["loyal"], "Key account"
        )
        self.assertEqual(self.profile.stage_id, self.stages["loyal"])
        self.profile.with_user(self.manager).action_unlock_stage()
        self.assertFalse(self.profile.stage_locked)

    def test_contact_form_reads_profile_in_fixed_queries(self):
        """The contact's Lifecycle page costs a fixed number of queries,
        whatever the number of profile scores it shows."""
        # as the web client reads it: with the allowed companies in context
        partner = self.customer.with_user(self.user).with_context(
            allowed_company_ids=self.company.ids
        )
        Partner = self.env["res.partner"]
        scores = [
            name
            for name, field in Partner._fields.items()
            if name.startswith("lifecycle_")
            and field.related
            and field.type in ("integer", "float", "monetary", "date", "char")
        ]
        self.assertGreater(len(scores), 8)
        page = ["lifecycle_stage_id", "lifecycle_history_ids", "lifecycle_currency_id"]
        partner.read(page + scores)  # warm the caches of the ORM and rules
        counts = []
        for fnames in (page + scores[:1], page + scores):
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            partner.read(fnames)
            counts.append(self.cr.sql_log_count - start)
        self.assertEqual(counts[0], counts[1])
        self.env.invalidate_all()
        with self.assertQueryCount(QUERIES_CONTACT_PAGE):
            partner.read(page + scores)
