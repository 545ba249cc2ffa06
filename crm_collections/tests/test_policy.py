from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestPolicy(CollectionsCommon):
    def with_company_2(self):
        self.env = self.env(
            context=dict(
                self.env.context,
                allowed_company_ids=[self.company_2.id, self.company.id],
            )
        )
        return self

    def _policy(self, levels, **vals):
        return self.env["crm.collections.policy"].create(
            {
                "name": "Other",
                "company_id": self.company.id,
                "level_ids": [Command.create(level) for level in levels],
                **vals,
            }
        )

    def test_level_sequence_is_rank(self):
        self.assertEqual(
            [self.level1.sequence, self.level2.sequence, self.level3.sequence],
            [1, 2, 3],
        )

    def test_at_least_one_level(self):
        with self.assertRaisesRegex(ValidationError, "at least one level"):
            self._policy([])

    def test_strictly_increasing_days(self):
        with self.assertRaisesRegex(ValidationError, "strictly increasing"):
            self._policy(
                [
                    {"name": "a", "days": 10, "channel": "letter"},
                    {"name": "b", "days": 10, "channel": "letter"},
                ]
            )

    def test_no_negative(self):
        with self.assertRaisesRegex(ValidationError, "at least one day"):
            self._policy([{"name": "a", "days": -3, "channel": "letter"}])
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._policy(
                [{"name": "a", "days": 3, "channel": "letter", "fee_amount": -1}]
            )
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._policy(
                [{"name": "a", "days": 3, "channel": "letter", "interest_rate": -1}]
            )
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._policy(
                [{"name": "a", "days": 3, "channel": "letter"}], vip_extra_days=-2
            )

    def test_email_level_needs_template(self):
        with self.assertRaisesRegex(ValidationError, "needs an email template"):
            self._policy([{"name": "a", "days": 3, "channel": "email"}])

    def test_one_default_per_company(self):
        with self.assertRaisesRegex(ValidationError, "already has a default"):
            self._policy(
                [{"name": "a", "days": 3, "channel": "letter"}], is_default=True
            )
        # another company may have its own default
        other = self.with_company_2()._policy(
            [{"name": "a", "days": 3, "channel": "letter"}],
            company_id=self.company_2.id,
            is_default=True,
        )
        self.assertTrue(other.is_default)

    def test_partner_override_is_company_dependent(self):
        partner = self._customer("Override Ltd")
        other = self._policy([{"name": "a", "days": 3, "channel": "letter"}])
        partner.crm_collections_policy_id = other
        self.assertEqual(partner.crm_collections_policy_id, other)
        company_2 = self.company_data_2["company"]
        self.assertFalse(partner.with_company(company_2).crm_collections_policy_id)
