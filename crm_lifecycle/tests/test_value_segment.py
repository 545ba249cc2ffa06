from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.crm_lifecycle.models.crm_lifecycle_value_segment import VALUE_LEVELS

from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestValueSegment(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Segment = cls.env["crm.lifecycle.value.segment"]
        cls.champions = cls.env.ref("crm_lifecycle.value_segment_high_high")
        cls.rising = cls.env.ref("crm_lifecycle.value_segment_low_high")

    def test_data_covers_the_grid(self):
        levels = [level for level, _label in VALUE_LEVELS]
        cells = set()
        for current in levels:
            for potential in levels:
                segment = self.env.ref(
                    f"crm_lifecycle.value_segment_{current}_{potential}"
                )
                self.assertRecordValues(
                    segment,
                    [
                        {
                            "active": True,
                            "current_level": current,
                            "potential_level": potential,
                        }
                    ],
                )
                self.assertTrue(segment.description)
                cells.add((segment.current_level, segment.potential_level))
        self.assertEqual(len(cells), 9)
        self.assertEqual(self.Segment.search_count([]), 9)

    def test_one_active_segment_per_levels(self):
        with self.assertRaises(ValidationError):
            self.Segment.create(
                {"name": "Twin", "current_level": "high", "potential_level": "high"}
            )
        with self.assertRaises(ValidationError):
            self.rising.current_level = "high"
        # An archived segment leaves its cell free; reactivating it is refused
        # while another segment holds the cell.
        self.champions.active = False
        twin = self.Segment.create(
            {"name": "Twin", "current_level": "high", "potential_level": "high"}
        )
        with self.assertRaises(ValidationError):
            self.champions.active = True
        twin.active = False
        self.champions.active = True
        self.assertTrue(self.champions.active)

    def test_profile_count(self):
        customers = self._customer("Value One") | self._customer("Value Two")
        for customer in customers:
            self._invoice(customer, "2026-05-01", 500)
        profiles = self._score(customers)
        self.assertEqual(len(profiles), 2)
        # The engine sets the value segment; write it here as the engine does.
        profiles.sudo().write({"value_segment_id": self.rising.id})
        profiles[0].sudo().write({"value_segment_id": self.champions.id})
        self.env.invalidate_all()
        base = {
            segment: segment.profile_count for segment in self.champions | self.rising
        }
        self.assertGreaterEqual(base[self.champions], 1)
        self.assertGreaterEqual(base[self.rising], 1)
        profiles[1].sudo().write({"value_segment_id": False})
        self.env.invalidate_all()
        self.assertEqual(self.rising.profile_count, base[self.rising] - 1)
        action = self.rising.action_view_profiles()
        self.assertEqual(action["res_model"], "crm.lifecycle.profile")
        self.assertEqual(
            action["context"], {"search_default_value_segment_id": self.rising.id}
        )

    def test_access_rights(self):
        user = new_test_user(
            self.env,
            login="lc_value_user",
            groups="base.group_user,crm_lifecycle.group_lifecycle_user",
        )
        salesman = new_test_user(
            self.env, login="lc_value_salesman", groups="sales_team.group_sale_salesman"
        )
        for reader in (user, salesman):
            segment = self.champions.with_user(reader)
            self.assertEqual(segment.profile_count, self.champions.profile_count)
            with self.assertRaises(AccessError):
                segment.name = "Renamed"
            with self.assertRaises(AccessError):
                self.Segment.with_user(reader).create(
                    {"name": "Mine", "current_level": "low", "potential_level": "low"}
                )
        self.champions.with_user(self.manager).description = "Protect them."
        self.assertEqual(self.champions.description, "Protect them.")

    def test_value_fields_are_engine_fields(self):
        customer = self._customer("Value Three")
        self._invoice(customer, "2026-05-01", 500)
        profile = self._score(customer)
        for vals in (
            {"value_segment_id": self.champions.id},
            {"value_current_level": "high"},
            {"value_potential_level": "high"},
        ):
            with self.assertRaises(AccessError):
                profile.with_user(self.manager).write(vals)
