from datetime import date, timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestStages(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Stages Ltd")
        for day in ("2024-01-15", "2024-02-15", "2024-03-15"):
            cls._invoice(cls.customer, day, 1000)

    def test_churned_then_won_back_with_history(self):
        # 2024-03-15 + 365 days = 2025-03-15: churned the day after.
        profile = self._score(self.customer, today=date(2025, 3, 15))
        self.assertEqual(profile.stage_id, self.stages["at_risk"])
        self._score(self.customer, today=date(2025, 3, 16))
        self.assertEqual(profile.stage_id, self.stages["churned"])
        self._invoice(self.customer, "2025-05-01", 400)
        self._score(self.customer, today=date(2025, 5, 2))
        self.assertEqual(profile.stage_id, self.stages["won_back"])
        self.assertEqual(profile.stage_date, date(2025, 5, 2))
        # Won back stays for the new-customer window, then the usual rules.
        self._score(self.customer, today=date(2025, 7, 31))
        self.assertEqual(profile.stage_id, self.stages["won_back"])
        self._score(self.customer, today=date(2025, 8, 1))
        self.assertEqual(profile.stage_id, self.stages["active"])

        history = profile.history_ids.sorted("id")
        self.assertEqual(
            history.mapped("to_kind"), ["at_risk", "churned", "won_back", "active"]
        )
        self.assertEqual(
            history.mapped("from_kind"), [False, "at_risk", "churned", "won_back"]
        )
        self.assertEqual(history.mapped("origin"), ["engine"] * 4)
        # Days spent in the stage left: churned 2025-03-16 -> 2025-05-02.
        self.assertEqual(history[2].duration_days, 47)
        self.assertEqual(history[2].date.date(), date(2025, 5, 2))
        self.assertIn("after having churned", history[2].reason)
        self.assertEqual(self.customer.lifecycle_history_count, 4)

    def test_moves_are_logged_in_partner_chatter(self):
        self._score(self.customer, today=date(2025, 3, 15))
        self.env.invalidate_all()
        messages_before = len(self.customer.message_ids)
        self._score(self.customer, today=date(2025, 3, 16))
        self.env.invalidate_all()
        new = self.customer.message_ids[
            : len(self.customer.message_ids) - messages_before
        ]
        self.assertEqual(len(new), 1)
        self.assertIn("Churned", new.body)

    def test_unchanged_figures_keep_stage_and_history(self):
        profile = self._score(self.customer, today=date(2025, 3, 16))
        self._score(self.customer, today=date(2025, 3, 17))
        self.assertEqual(len(profile.history_ids), 1)

    def test_override_locks_until_date(self):
        profile = self._score(self.customer, today=date(2025, 3, 16))
        self.assertEqual(profile.stage_id, self.stages["churned"])
        today = date.today()
        wizard = Form(
            self.env["crm.lifecycle.stage.override"]
            .with_user(self.manager)
            .with_context(default_profile_ids=profile.ids)
        )
        wizard.stage_id = self.stages["loyal"]
        wizard.reason = "Key account renegotiating"
        wizard.lock_until = today + timedelta(days=10)
        wizard.save().action_apply()
        self.assertRecordValues(
            profile,
            [
                {
                    "stage_id": self.stages["loyal"].id,
                    "stage_locked": True,
                    "lock_reason": "Key account renegotiating",
                }
            ],
        )
        manual = profile.history_ids.filtered(lambda h: h.origin == "manual")
        self.assertRecordValues(
            manual,
            [
                {
                    "from_stage_id": self.stages["churned"].id,
                    "to_stage_id": self.stages["loyal"].id,
                    "reason": "Key account renegotiating",
                    "user_id": self.manager.id,
                }
            ],
        )
        # The engine leaves a locked stage alone up to the lock's last day.
        self._score(self.customer, today=today + timedelta(days=10))
        self.assertEqual(profile.stage_id, self.stages["loyal"])
        self.assertTrue(profile.stage_locked)
        # After it, the lock ends and the engine takes the stage back.
        self._score(self.customer, today=today + timedelta(days=11))
        self.assertEqual(profile.stage_id, self.stages["churned"])
        self.assertFalse(profile.stage_locked)

    def test_override_without_end_until_unlocked(self):
        profile = self._score(self.customer, today=date(2025, 3, 16))
        profile.with_user(self.manager)._lifecycle_set_stage(
            self.stages["active"], "Paid in advance"
        )
        self._score(self.customer, today=date(2026, 3, 16))
        self.assertEqual(profile.stage_id, self.stages["active"])
        profile.with_user(self.manager).action_unlock_stage()
        self._score(self.customer, today=date(2026, 3, 16))
        self.assertEqual(profile.stage_id, self.stages["churned"])

    def test_override_needs_reason_and_future_lock(self):
        profile = self._score(self.customer, today=date(2025, 3, 16))
        with self.assertRaises(UserError):
            profile._lifecycle_set_stage(self.stages["loyal"], "  ")
        with self.assertRaises(UserError):
            profile._lifecycle_set_stage(
                self.stages["loyal"], "why", lock_until=date(2000, 1, 1)
            )
        with self.assertRaises(UserError):
            profile.write({"stage_id": self.stages["loyal"].id})

    def test_last_stage_of_a_kind_is_kept(self):
        with self.assertRaises(UserError):
            self.stages["loyal"].active = False
        with self.assertRaises(UserError):
            self.stages["loyal"].kind = "active"
        second = self.Stage.create({"name": "VIP", "kind": "loyal", "sequence": 99})
        second.active = False  # another loyal stage remains: fine
        self.assertFalse(second.active)

    def test_automated_action_on_engine_move(self):
        """Integrators hang automated actions on stage moves of the engine."""
        profile_model = self.env["ir.model"]._get("crm.lifecycle.profile")
        self.env["base.automation"].create(
            {
                "name": "Call customers at risk",
                "model_id": profile_model.id,
                "trigger": "on_stage_set",
                "trg_field_ref": self.stages["at_risk"].id,
                "action_server_ids": [
                    Command.create(
                        {
                            "name": "Schedule a call",
                            "model_id": profile_model.id,
                            "state": "next_activity",
                            "activity_type_id": self.env.ref(
                                "mail.mail_activity_data_call"
                            ).id,
                            "activity_summary": "Win them back",
                        }
                    )
                ],
            }
        )
        profile = self._score(self.customer, today=date(2024, 4, 20))
        self.assertEqual(profile.stage_id, self.stages["active"])
        self.assertFalse(profile.activity_ids)
        self._score(self.customer, today=date(2024, 5, 20))
        self.assertEqual(profile.stage_id, self.stages["at_risk"])
        self.assertEqual(profile.activity_ids.summary, "Win them back")
