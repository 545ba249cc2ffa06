from datetime import datetime

from odoo.tests import TransactionCase, new_test_user


class SupportCase(TransactionCase):
    """A UTC calendar Mon-Fri 9-17 (8 working hours a day), a team with SLAs
    on it led by ``leader``, a customer company with two contacts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Support 9-17 UTC",
                "tz": "UTC",
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 9,
                            "hour_to": 17,
                            "day_period": "morning",
                        },
                    )
                    for day in range(5)
                ],
            }
        )
        cls.leader = new_test_user(
            cls.env,
            login="support_leader",
            groups="crm_support_ext.group_support_manager",
        )
        cls.agent = new_test_user(
            cls.env, login="support_agent", groups="crm_support_ext.group_support_user"
        )
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {
                "name": "Customer care",
                "use_sla": True,
                "resource_calendar_id": cls.calendar.id,
                "user_id": cls.leader.id,
                "user_ids": [(6, 0, (cls.leader | cls.agent).ids)],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Acme Support Customer", "is_company": True}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Alice Acme", "parent_id": cls.customer.id, "email": "a@acme.test"}
        )
        cls.complaint = cls.env.ref("crm_support_ext.helpdesk_ticket_type_complaint")
        cls.stage_new = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        cls.stage_progress = cls.env.ref(
            "helpdesk_mgmt.helpdesk_ticket_stage_in_progress"
        )
        cls.stage_awaiting = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_awaiting")
        cls.stage_done = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        # keep the demo policies out of the way
        cls.env["helpdesk.sla"].search([]).write({"active": False})

    def _ticket(self, created=None, **vals):
        values = {
            "name": "Broken widget",
            "description": "<p>It broke.</p>",
            "team_id": self.team.id,
            "partner_id": self.contact.id,
            "type_id": self.complaint.id,
        }
        values.update(vals)
        ticket = self.env["helpdesk.ticket"].create(values)
        if created:
            self._set_created(ticket, created)
        return ticket

    def _set_created(self, tickets, created):
        """Pretend ``tickets`` were created at ``created`` (naive UTC) and
        plan their SLA lines from there."""
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET create_date = %s WHERE id IN %s",
            (created, tuple(tickets.ids)),
        )
        self.env.cr.execute(
            "UPDATE helpdesk_ticket_sla SET last_state_date = %s, deadline = NULL,"
            " consumed_time = 0 WHERE ticket_id IN %s",
            (created, tuple(tickets.ids)),
        )
        self.env.invalidate_all()
        tickets.ticket_sla_ids._support_recompute_targets()
        self.env.flush_all()

    @staticmethod
    def dt(day, hour, minute=0):
        """A moment of November 2026 (Friday 6, Monday 9, ...)."""
        return datetime(2026, 11, day, hour, minute)
