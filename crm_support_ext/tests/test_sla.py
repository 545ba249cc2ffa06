from odoo.tests import freeze_time, tagged

from .common import SupportCase


@tagged("post_install", "-at_install")
class TestSupportSla(SupportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first_response = cls.env["helpdesk.sla"].create(
            {
                "name": "First response 4h",
                "target_kind": "first_response",
                "hours": 4,
                "team_ids": [(6, 0, cls.team.ids)],
                "ignore_stage_ids": [(6, 0, cls.stage_awaiting.ids)],
            }
        )
        cls.resolve = cls.env["helpdesk.sla"].create(
            {
                "name": "Done in 1.5 days",
                "target_kind": "stage",
                "stage_id": cls.stage_done.id,
                "days": 1,
                "hours": 4.5,
                "team_ids": [(6, 0, cls.team.ids)],
            }
        )

    def _line(self, ticket, sla):
        return ticket.ticket_sla_ids.filtered(lambda r: r.sla_id == sla)

    def test_deadline_across_weekend_and_leave(self):
        # Monday 9 November is a company-wide leave day
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Closed",
                "calendar_id": self.calendar.id,
                "date_from": self.dt(9, 0),
                "date_to": self.dt(9, 23, 59),
            }
        )
        # Friday 6, 15:00: 2h left on Friday, weekend, Monday off
        ticket = self._ticket(created=self.dt(6, 15))
        self.assertEqual(
            self._line(ticket, self.first_response).deadline, self.dt(10, 11)
        )
        # 8 + 4.5 = 12.5 hours: 2 Friday, 8 Tuesday, 2.5 Wednesday
        self.assertEqual(self._line(ticket, self.resolve).deadline, self.dt(11, 11, 30))

    def test_fractional_hours(self):
        self.first_response.hours = 0.25
        ticket = self._ticket(created=self.dt(10, 16, 50))
        self.assertEqual(
            self._line(ticket, self.first_response).deadline, self.dt(11, 9, 5)
        )

    def test_pause_and_resume(self):
        ticket = self._ticket(created=self.dt(10, 9))
        line = self._line(ticket, self.first_response)
        self.assertEqual(line.deadline, self.dt(10, 13))
        with freeze_time(self.dt(10, 10)):
            ticket.stage_id = self.stage_awaiting  # waiting for the customer
            self.env.flush_all()
        self.assertEqual(line.state, "on_hold")
        self.assertAlmostEqual(line.consumed_time, 1.0)
        with freeze_time(self.dt(11, 9)):
            ticket.stage_id = self.stage_progress
            self.env.flush_all()
        self.assertEqual(line.state, "in_progress")
        # 3 hours left from Wednesday 9:00
        self.assertEqual(line.deadline, self.dt(11, 12))
        # a stage change does not meet a first-response target
        self.assertNotEqual(line.state, "accomplished")

    def test_policy_change_recomputes_open_tickets(self):
        ticket = self._ticket(created=self.dt(10, 9))
        closed = self._ticket(created=self.dt(10, 9))
        closed.stage_id = self.stage_done
        line = self._line(ticket, self.first_response)
        self.assertEqual(line.deadline, self.dt(10, 13))
        self.first_response.hours = 6.5
        self.assertEqual(line.hours, 6.5)
        self.assertEqual(line.deadline, self.dt(10, 15, 30))
        # a new policy applies to the open tickets only
        extra = self.env["helpdesk.sla"].create(
            {"name": "Extra", "target_kind": "first_response", "hours": 1}
        )
        self.assertIn(extra, ticket.sla_ids)
        self.assertNotIn(extra, closed.sla_ids)

    def test_first_response_meets_target(self):
        ticket = self._ticket(created=self.dt(10, 9))
        with freeze_time(self.dt(10, 11)):
            ticket.with_user(self.agent).message_post(
                body="We are on it",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(self._line(ticket, self.first_response).state, "accomplished")
        self.assertEqual(self._line(ticket, self.resolve).state, "in_progress")

    def test_breach_flag_and_single_activity(self):
        ticket = self._ticket(created=self.dt(10, 9))
        other = self._ticket(created=self.dt(10, 9))
        with freeze_time(self.dt(10, 10)):
            other.with_user(self.agent).message_post(
                body="Hello", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        Line = self.env["helpdesk.ticket.sla"]
        activity_type = self.env.ref("crm_support_ext.mail_activity_type_sla_breach")
        with freeze_time(self.dt(10, 12)):
            Line._cron_support_sla_breaches()
        self.assertFalse(ticket.sla_breached)
        with freeze_time(self.dt(10, 14)):
            Line._cron_support_sla_breaches()
            Line._cron_support_sla_breaches()
        line = self._line(ticket, self.first_response)
        self.assertTrue(line.breached)
        self.assertEqual(line.state, "expired")
        self.assertTrue(ticket.sla_breached)
        self.assertFalse(other.sla_breached)
        activities = ticket.activity_ids.filtered(
            lambda a: a.activity_type_id == activity_type
        )
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.leader)
        # the breach joins the contact panel of the customer, with its owner
        self.assertEqual(activities.lifecycle_reason, "support_sla_breach")
        self.assertEqual(activities.lifecycle_partner_id, self.customer)
        self.assertIn(activities, self.contact.lifecycle_open_activity_ids)
        self.assertIn(
            ticket, self.env["helpdesk.ticket"].search([("sla_breached", "=", True)])
        )

    def test_deadline_query_count_does_not_grow(self):
        tickets = self.env["helpdesk.ticket"]
        for _i in range(100):
            tickets |= self._ticket()
        self._set_created(tickets, self.dt(6, 15))
        Line = self.env["helpdesk.ticket.sla"]

        def recompute(lines):
            self.env.invalidate_all()
            lines = Line.browse(lines.ids)
            lines._compute_deadline()

        small = tickets[:10].ticket_sla_ids
        recompute(small)  # warm the caches of the ORM
        big = tickets.ticket_sla_ids
        # the same queries for 10 and 100 tickets: lines, tickets, teams,
        # calendar, its attendances (2) and leaves
        with self.assertQueryCount(__system__=7):
            recompute(small)
        with self.assertQueryCount(__system__=7):
            recompute(big)
        self.assertEqual(
            set(self._line(tickets[-1], self.first_response).mapped("deadline")),
            {self.dt(9, 11)},
        )
