from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import SupportCase


@tagged("post_install", "-at_install")
class TestSupportSecurity(SupportCase):
    def test_groups_map_onto_helpdesk(self):
        self.assertTrue(self.agent.has_group("helpdesk_mgmt.group_helpdesk_user"))
        self.assertFalse(self.agent.has_group("helpdesk_mgmt.group_helpdesk_manager"))
        self.assertTrue(self.leader.has_group("helpdesk_mgmt.group_helpdesk_manager"))

    def test_shipped_data(self):
        self.assertTrue(self.env.ref("crm_support_ext.helpdesk_ticket_type_assistance"))
        self.assertTrue(
            self.env.ref("crm_support_ext.helpdesk_ticket_channel_in_person")
        )
        resolved = self.env.ref("crm_support_ext.helpdesk_ticket_stage_resolved")
        self.assertTrue(resolved.closed)
        self.assertTrue(resolved.rating_mail_template_id)
        # the function is idempotent: no second Resolved stage
        self.env["helpdesk.ticket.stage"]._support_ensure_resolved_stage()
        self.assertEqual(
            self.env["helpdesk.ticket.stage"].search_count([("name", "=", "Resolved")]),
            1,
        )

    def test_portal_cannot_read_sla_policies(self):
        portal = new_test_user(self.env, login="sla_portal", groups="base.group_portal")
        policy = self.env["helpdesk.sla"].create({"name": "Secret target", "hours": 2})
        with self.assertRaises(AccessError):
            policy.with_user(portal).read(["name"])
        self.assertFalse(self.env["helpdesk.sla"].with_user(portal).search([]))

    def test_root_cause_rights_and_companies(self):
        other = self.env["res.company"].create({"name": "Other Support Co"})
        cause = self.env["crm.support.root.cause"].create(
            {"name": "Other only", "company_id": other.id}
        )
        Cause = self.env["crm.support.root.cause"].with_user(self.agent)
        self.assertNotIn(cause, Cause.search([]))
        with self.assertRaises(AccessError):
            Cause.create({"name": "Agent made"})
        self.env["crm.support.root.cause"].with_user(self.leader).create(
            {"name": "Manager made"}
        )

    def test_ticket_fields(self):
        cause = self.env.ref("crm_support_ext.crm_support_root_cause_delivery")
        ticket = self._ticket(
            root_cause_id=cause.id,
            compensation_note="10% voucher",
            channel_id=self.env.ref(
                "crm_support_ext.helpdesk_ticket_channel_in_person"
            ).id,
        )
        self.assertEqual(ticket.root_cause_id, cause)
        self.assertEqual(ticket.commercial_partner_id, self.customer)

    def test_agent_cannot_write_engine_fields(self):
        ticket = self._ticket()
        for vals in (
            {"first_response_date": self.dt(10, 9)},
            {"sla_breached": True},
            {"priority_boost": "tier"},
        ):
            with self.assertRaises(AccessError):
                ticket.with_user(self.agent).write(vals)
        created = (
            self.env["helpdesk.ticket"]
            .with_user(self.agent)
            .create(
                {
                    "name": "Forged",
                    "description": "<p>x</p>",
                    "team_id": self.team.id,
                    "first_response_date": self.dt(10, 9),
                    "sla_breached": True,
                }
            )
        )
        self.assertFalse(created.first_response_date)
        self.assertFalse(created.sla_breached)

    def test_settings_validation(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.env.company.support_boost_levels = 5
        with self.assertRaises(ValidationError):
            self.env.company.lifecycle_churn_weight_support_ratings = -1
