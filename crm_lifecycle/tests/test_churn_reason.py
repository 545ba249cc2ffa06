from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestChurnReason(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Churn Ltd")
        cls.other = cls._customer("Other Churn Ltd")
        for partner in cls.customer | cls.other:
            cls._invoice(partner, "2026-03-15", 1000)
        cls.price = cls.env.ref("crm_lifecycle.churn_reason_price")
        cls.competitor = cls.env.ref("crm_lifecycle.churn_reason_competitor")
        cls.Wizard = cls.env["crm.lifecycle.stage.override"].with_user(cls.manager)
        cls.Scoring._scoring_score_company(cls.company, cls.TODAY)
        cls.profiles = cls.Profile.search(
            [
                ("partner_id", "in", (cls.customer | cls.other).ids),
                ("company_id", "=", cls.company.id),
            ]
        )
        cls.profile = cls.profiles.filtered(lambda p: p.partner_id == cls.customer)

    def _wizard(self, profiles, stage, churn_reason=None, reason="Lost the tender"):
        return self.Wizard.create(
            {
                "profile_ids": [Command.set(profiles.ids)],
                "stage_id": stage.id,
                "reason": reason,
                "churn_reason_id": churn_reason.id if churn_reason else False,
            }
        )

    def test_churned_needs_a_reason_on_the_server(self):
        """The view requires the reason; the action refuses without it even
        when the view is bypassed."""
        wizard = self._wizard(self.profile, self.stages["churned"])
        with self.assertRaisesRegex(UserError, "churn reason"):
            wizard.action_apply()
        self.assertNotEqual(self.profile.stage_id, self.stages["churned"])
        self.assertFalse(
            self.profile.history_ids.filtered(lambda h: h.origin == "manual")
        )

    def test_reason_on_history_and_profile(self):
        form = Form(self.Wizard.with_context(default_profile_ids=self.profiles.ids))
        form.stage_id = self.stages["churned"]
        form.reason = "Moved to a cheaper supplier"
        with self.assertRaises(AssertionError):
            form.save()  # the view requires a churn reason for a churned stage
        form.churn_reason_id = self.price
        form.save().action_apply()
        for profile in self.profiles:
            self.assertRecordValues(
                profile,
                [
                    {
                        "stage_id": self.stages["churned"].id,
                        "churn_reason_id": self.price.id,
                        "lock_reason": "Moved to a cheaper supplier",
                    }
                ],
            )
            manual = profile.history_ids.filtered(lambda h: h.origin == "manual")
            self.assertRecordValues(
                manual,
                [{"to_kind": "churned", "churn_reason_id": self.price.id}],
            )
        # Rows written by the engine have none.
        engine = self.profiles.history_ids.filtered(lambda h: h.origin == "engine")
        self.assertTrue(engine)
        self.assertFalse(engine.churn_reason_id)

    def test_other_stage_needs_no_reason_and_clears_it(self):
        self._wizard(self.profile, self.stages["churned"], self.price).action_apply()
        self.assertEqual(self.profile.churn_reason_id, self.price)
        # A churn reason given with another stage is not kept.
        self._wizard(
            self.profile, self.stages["loyal"], self.competitor, reason="Came back"
        ).action_apply()
        self.assertEqual(self.profile.stage_id, self.stages["loyal"])
        self.assertFalse(self.profile.churn_reason_id)
        last = self.profile.history_ids.sorted("id")[-1]
        self.assertEqual(last.to_kind, "loyal")
        self.assertFalse(last.churn_reason_id)
        self._wizard(self.profile, self.stages["active"]).action_apply()
        self.assertEqual(self.profile.stage_id, self.stages["active"])

    def test_engine_move_out_of_churned_clears_the_reason(self):
        """Unlocked, the customer (who bought this year) is taken back by the
        engine: the churn reason leaves the profile, the history keeps it."""
        self._wizard(self.profile, self.stages["churned"], self.price).action_apply()
        self.profile.with_user(self.manager).action_unlock_stage()
        self.Scoring._scoring_score_company(self.company, self.TODAY)
        self.assertNotEqual(self.profile.stage_kind, "churned")
        self.assertFalse(self.profile.churn_reason_id)
        manual = self.profile.history_ids.filtered(lambda h: h.origin == "manual")
        self.assertEqual(manual.churn_reason_id, self.price)
        # the other customer, never churned, keeps no reason either
        other = self.profiles - self.profile
        self.assertFalse(other.churn_reason_id)

    def test_archived_reason_is_refused(self):
        self.price.active = False
        wizard = self._wizard(self.profile, self.stages["churned"], self.price)
        with self.assertRaisesRegex(UserError, "archived"):
            wizard.action_apply()
        self.assertFalse(self.profile.churn_reason_id)

    def test_only_managers_edit_reasons(self):
        user = new_test_user(
            self.env,
            login="lc_churn_user",
            groups="base.group_user,crm_lifecycle.group_lifecycle_user",
        )
        salesman = new_test_user(
            self.env, login="lc_churn_salesman", groups="sales_team.group_sale_salesman"
        )
        Reason = self.env["crm.lifecycle.churn.reason"]
        for reader in (user, salesman):
            self.assertIn(self.price, Reason.with_user(reader).search([]))
            with self.assertRaises(AccessError):
                Reason.with_user(reader).create({"name": "Mine"})
            with self.assertRaises(AccessError):
                self.price.with_user(reader).name = "Renamed"
        reason = Reason.with_user(self.manager).create({"name": "Bankrupt"})
        reason.with_user(self.manager).active = False
        self.assertFalse(reason.active)

    def test_engine_field_on_profile(self):
        with self.assertRaises(AccessError):
            self.profile.with_user(self.manager).write(
                {"churn_reason_id": self.price.id}
            )

    def test_analysis_counts_by_reason(self):
        self._wizard(self.profiles, self.stages["churned"], self.price).action_apply()
        self._wizard(self.profile, self.stages["loyal"], reason="Back").action_apply()
        self._wizard(
            self.profile, self.stages["churned"], self.competitor
        ).action_apply()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_lifecycle.crm_lifecycle_history_action_churn_reasons"
        )
        domain = safe_eval(action["domain"]) + [
            ("partner_id", "in", (self.customer | self.other).ids)
        ]
        History = self.env["crm.lifecycle.history"].with_user(self.manager)
        counts = dict(History._read_group(domain, ["churn_reason_id"], ["__count"]))
        self.assertEqual(counts, {self.price: 2, self.competitor: 1})
        # The Churned by Hand filter finds the same rows.
        self.assertEqual(
            History.search_count(
                [
                    ("origin", "=", "manual"),
                    ("to_kind", "=", "churned"),
                    ("partner_id", "in", (self.customer | self.other).ids),
                ]
            ),
            3,
        )
