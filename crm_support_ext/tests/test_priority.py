from odoo.tests import tagged

from .common import SupportCase


@tagged("post_install", "-at_install")
class TestSupportPriorityBoost(SupportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        Tier = cls.env["crm.lifecycle.tier"]
        cls.silver = Tier.create(
            {"name": "Silver T", "sequence": 510, "company_id": company.id}
        )
        cls.gold = Tier.create(
            {"name": "Gold T", "sequence": 520, "company_id": company.id}
        )
        cls.other = cls.env["res.partner"].create(
            {"name": "Small Co", "is_company": True}
        )
        Profile = cls.env["crm.lifecycle.profile"].sudo()
        Profile.create(
            {
                "partner_id": cls.customer.id,
                "company_id": company.root_id.id,
                "tier_id": cls.gold.id,
                "predicted_clv": 500.0,
            }
        )
        Profile.create(
            {
                "partner_id": cls.other.id,
                "company_id": company.root_id.id,
                "tier_id": cls.silver.id,
                "predicted_clv": 50000.0,
            }
        )
        company.write(
            {
                "support_boost_tier_id": cls.gold.id,
                "support_boost_min_clv": 0.0,
                "support_boost_levels": 1,
            }
        )
        cls.high_sla = cls.env["helpdesk.sla"].create(
            {
                "name": "High priority: 1h",
                "target_kind": "first_response",
                "hours": 1,
                "domain": "[('priority', '=', '2')]",
            }
        )

    def test_tier_boost_before_sla_matching(self):
        ticket = self._ticket(priority="1")
        self.assertEqual(ticket.priority, "2")
        self.assertEqual(ticket.priority_boost, "tier")
        self.assertIn("Gold T", ticket.priority_boost_reason)
        self.assertIn(self.high_sla, ticket.sla_ids)

    def test_no_boost_below_the_tier(self):
        ticket = self._ticket(priority="1", partner_id=self.other.id)
        self.assertEqual(ticket.priority, "1")
        self.assertFalse(ticket.priority_boost)
        self.assertNotIn(self.high_sla, ticket.sla_ids)

    def test_value_boost_and_batch_in_one_query(self):
        self.env.company.write(
            {"support_boost_min_clv": 10000.0, "support_boost_levels": 2}
        )
        vals_list = [
            {"priority": "1", "partner_id": self.other.id},
            {"priority": "0", "partner_id": self.contact.id},
            {"priority": "3", "partner_id": self.contact.id},
        ]
        queries = []
        execute = type(self.env.cr).execute

        def spy(cr, query, params=None, log_exceptions=True):
            if "crm_lifecycle_profile" in str(query):
                queries.append(query)
            return execute(cr, query, params, log_exceptions)

        from unittest.mock import patch

        with patch.object(type(self.env.cr), "execute", spy):
            self.env["helpdesk.ticket"]._support_apply_priority_boost(vals_list)
        self.assertEqual(len(queries), 1)
        self.assertEqual(vals_list[0]["priority"], "3")
        self.assertEqual(vals_list[0]["priority_boost"], "value")
        self.assertEqual(vals_list[1]["priority"], "2")
        self.assertEqual(vals_list[1]["priority_boost"], "tier")
        # already at the top
        self.assertNotIn("priority_boost", vals_list[2])

    def test_client_cannot_forge_the_reason(self):
        ticket = (
            self.env["helpdesk.ticket"]
            .with_user(self.agent)
            .create(
                {
                    "name": "Forged",
                    "description": "<p>x</p>",
                    "team_id": self.team.id,
                    "partner_id": self.other.id,
                    "priority_boost": "tier",
                    "priority_boost_reason": "VIP!",
                }
            )
        )
        self.assertFalse(ticket.priority_boost)
        self.assertFalse(ticket.priority_boost_reason)
