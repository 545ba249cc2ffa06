from datetime import datetime, time, timedelta

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import SupportCase


@tagged("post_install", "-at_install")
class TestSupportKpi(SupportCase):
    """Every support KPI on a hand-checked fixture (calendar Mon-Fri 9-17
    UTC, a first-response SLA of 3 working hours), last week:

    ====  ==========  =====  ========  ======  ============  ==========  ======
    req   type        cat    created   answer  fr h (SLA)    closed      res h
    ====  ==========  =====  ========  ======  ============  ==========  ======
    T1    complaint   A      Mon 9:00  11:00   2 (met)       Mon 13:00   4
    T2    complaint   A      Mon 10:00 16:00   6 (late)      Tue 10:00   8
    T3    complaint   A      Mon 9:00  10:00   1 (met)       open
    T4    assistance  B      Mon 9:00  -       - (not met)   open
    T5    assistance  B      Mon 9:00  13:00   4 (late)      Mon 15:00*  6
    T6    complaint   B      Mon 9:00  -       - (not met)   reopened
    ====  ==========  =====  ========  ======  ============  ==========  ======

    T5 was closed, reopened and closed again; T6 closed and reopened. Last
    ratings: T1 5 (agent), T2 1 (agent), T5 5 (leader; an earlier 1).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = datetime.combine(datetime.now().date(), time())
        cls.monday = today - timedelta(days=today.weekday() + 7)
        cls.assistance = cls.env.ref("crm_support_ext.helpdesk_ticket_type_assistance")
        Category = cls.env["helpdesk.ticket.category"]
        cls.cat_a = Category.create({"name": "KPI category A"})
        cls.cat_b = Category.create({"name": "KPI category B"})
        cls.env["helpdesk.sla"].create(
            {
                "name": "First response 3h",
                "target_kind": "first_response",
                "hours": 3,
                "team_ids": [(6, 0, cls.team.ids)],
            }
        )
        Partner = cls.env["res.partner"]
        cls.cust_a = cls.customer
        cls.cust_b, cls.cust_c, cls.cust_d, cls.cust_e = Partner.create(
            [{"name": f"KPI customer {x}", "is_company": True} for x in "BCDE"]
        )
        Profile = cls.env["crm.lifecycle.profile"].sudo()
        stage = {
            code: cls.env.ref(f"crm_lifecycle.stage_{code}")
            for code in ("active", "at_risk", "loyal")
        }
        cls.profiles = Profile.create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": cls.env.company.id,
                    "stage_id": stage[code].id,
                }
                for partner, code in (
                    (cls.cust_a, "active"),
                    (cls.cust_b, "active"),
                    (cls.cust_c, "at_risk"),
                    (cls.cust_d, "at_risk"),
                    (cls.cust_e, "loyal"),
                )
            ]
        )
        cls.stage = stage

    def _at(self, day, hour):
        return self.monday + timedelta(days=day, hours=hour)

    def _fixture(self):
        Ticket = self.env["helpdesk.ticket"]

        def new(name, partner, type_, categ, user):
            return Ticket.create(
                {
                    "name": name,
                    "description": "<p>x</p>",
                    "team_id": self.team.id,
                    "partner_id": partner.id,
                    "type_id": type_.id,
                    "category_id": categ.id,
                    "user_id": user.id,
                }
            )

        t1 = new("T1", self.contact, self.complaint, self.cat_a, self.agent)
        t2 = new("T2", self.contact, self.complaint, self.cat_a, self.agent)
        t3 = new("T3", self.cust_c, self.complaint, self.cat_a, self.agent)
        t4 = new("T4", self.cust_b, self.assistance, self.cat_b, self.leader)
        t5 = new("T5", self.cust_b, self.assistance, self.cat_b, self.leader)
        t6 = new("T6", self.contact, self.complaint, self.cat_b, self.agent)
        self._set_created(t1 | t3 | t4 | t5 | t6, self._at(0, 9))
        self._set_created(t2, self._at(0, 10))
        for ticket, moment in (
            (t1, self._at(0, 11)),
            (t2, self._at(0, 16)),
            (t3, self._at(0, 10)),
            (t5, self._at(0, 13)),
        ):
            ticket.sudo()._support_stamp_first_response(moment)

        def close(ticket, moment):
            ticket.stage_id = self.stage_done
            ticket.closed_date = moment

        close(t1, self._at(0, 13))
        close(t2, self._at(1, 10))
        close(t5, self._at(0, 12))
        t5.stage_id = self.stage_progress
        close(t5, self._at(0, 15))
        close(t6, self._at(0, 12))
        t6.stage_id = self.stage_progress
        # an old complaint of C, out of the 12 months, without team
        old = Ticket.create(
            {
                "name": "T7",
                "description": "<p>x</p>",
                "partner_id": self.cust_c.id,
                "type_id": self.complaint.id,
            }
        )
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET create_date = %s WHERE id = %s",
            (datetime.now() - timedelta(days=400), old.id),
        )
        Rating = self.env["rating.rating"].sudo()
        model_id = self.env["ir.model"]._get_id("helpdesk.ticket")
        for ticket, value in ((t1, 5), (t2, 1), (t5, 1), (t5, 5)):
            Rating.create(
                {
                    "res_model_id": model_id,
                    "res_id": ticket.id,
                    "partner_id": ticket.commercial_partner_id.id,
                    "rating": value,
                    "consumed": True,
                }
            )
        self.env.flush_all()
        self.env.invalidate_all()
        return t1, t2, t3, t4, t5, t6

    def _group(self, model, domain, groupby, aggregates):
        size = len(groupby)
        return {
            (row[0] if size == 1 else tuple(row[:size])): list(row[size:])
            for row in self.env[model]._read_group(domain, groupby, aggregates)
        }

    def test_ticket_fields(self):
        t1, t2, t3, t4, t5, t6 = self._fixture()
        self.assertEqual(
            [t.first_response_hours for t in (t1, t2, t3, t4, t5, t6)],
            [2, 6, 1, 0, 4, 0],
        )
        self.assertEqual(
            [t.resolution_hours for t in (t1, t2, t3, t4, t5, t6)],
            [4, 8, 0, 0, 6, 0],
        )
        self.assertEqual([t.reopen_count for t in (t1, t5, t6)], [0, 1, 1])
        with self.assertRaises(AccessError):
            t1.with_user(self.leader).write({"reopen_count": 3})

    def test_kpis_per_type_category_agent(self):
        self._fixture()
        domain = [("team_id", "=", self.team.id)]
        measures = [
            "request_count:sum",
            "response_rate:avg",
            "sla_met:sum",
            "sla_lines:sum",
            "first_response_hours:avg",
            "resolution_hours:avg",
            "reopen_rate:avg",
            "csat:avg",
        ]
        total = self._group("crm.support.kpi.ticket", domain, [], measures)
        by_type = self._group("crm.support.kpi.ticket", domain, ["type_id"], measures)
        # requests, response rate (met / lines), mean fr, mean resolution,
        # reopen rate (reopened / closed once), CSAT (top / rated)
        self.assertEqual(total[()][:4], [6, 100.0 * 2 / 6, 2, 6])
        self.assertAlmostEqual(total[()][4], (2 + 6 + 1 + 4) / 4)
        self.assertAlmostEqual(total[()][5], (4 + 8 + 6) / 3)
        self.assertAlmostEqual(total[()][6], 50.0)
        self.assertAlmostEqual(total[()][7], 100.0 * 2 / 3)
        complaint = by_type[self.complaint]
        self.assertEqual(complaint[:4], [4, 50.0, 2, 4])
        self.assertAlmostEqual(complaint[4], 3.0)
        self.assertAlmostEqual(complaint[5], 6.0)
        self.assertAlmostEqual(complaint[6], 100.0 / 3)
        self.assertAlmostEqual(complaint[7], 50.0)
        assistance = by_type[self.assistance]
        self.assertEqual(assistance[:4], [2, 0.0, 0, 2])
        self.assertAlmostEqual(assistance[4], 4.0)
        self.assertAlmostEqual(assistance[5], 6.0)
        self.assertAlmostEqual(assistance[6], 100.0)
        self.assertAlmostEqual(assistance[7], 100.0)
        by_category = self._group(
            "crm.support.kpi.ticket", domain, ["category_id"], ["request_count:sum"]
        )
        self.assertEqual(by_category, {self.cat_a: [3], self.cat_b: [3]})
        by_agent = self._group(
            "crm.support.kpi.ticket", domain, ["user_id"], ["csat:avg"]
        )
        self.assertEqual(by_agent, {self.agent: [50.0], self.leader: [100.0]})
        by_month = self._group(
            "crm.support.kpi.ticket", domain, ["date:month"], ["request_count:sum"]
        )
        self.assertEqual(list(by_month.values()), [[6]])

    def test_medians_per_month(self):
        self._fixture()
        rows = self.env["crm.support.kpi.period"].search(
            [("team_id", "=", self.team.id)]
        )
        self.assertEqual(len(rows), 2)
        self.assertEqual(set(rows.mapped("month")), {self.monday.date().replace(day=1)})
        complaint = rows.filtered(lambda r: r.type_id == self.complaint)
        self.assertEqual(
            [
                complaint.request_count,
                complaint.answered_count,
                complaint.closed_count,
                complaint.first_response_median,
                complaint.first_response_mean,
                complaint.resolution_median,
                complaint.resolution_mean,
            ],
            [4, 3, 2, 2.0, 3.0, 6.0, 6.0],
        )
        assistance = rows.filtered(lambda r: r.type_id == self.assistance)
        self.assertEqual(
            [
                assistance.request_count,
                assistance.answered_count,
                assistance.closed_count,
                assistance.first_response_median,
                assistance.first_response_mean,
                assistance.resolution_median,
                assistance.resolution_mean,
            ],
            [2, 1, 1, 4.0, 4.0, 6.0, 6.0],
        )

    def test_complaints_per_100_by_stage(self):
        self._fixture()
        domain = [("partner_id", "in", self.profiles.partner_id.ids)]
        rows = self.env["crm.support.kpi.stage"].search(domain)
        self.assertEqual(
            {r.partner_id: r.complaint_count for r in rows},
            {
                self.cust_a: 3,  # T1, T2, T6 (any contact of the company)
                self.cust_b: 0,  # assistance only
                self.cust_c: 1,  # T3; T7 is older than 12 months
                self.cust_d: 0,
                self.cust_e: 0,
            },
        )
        by_stage = self._group(
            "crm.support.kpi.stage",
            domain,
            ["stage_id"],
            ["customer_count:sum", "complaint_count:sum", "complaints_per_100:avg"],
        )
        self.assertEqual(
            by_stage,
            {
                self.stage["active"]: [2, 3, 150.0],
                self.stage["at_risk"]: [2, 1, 50.0],
                self.stage["loyal"]: [1, 0, 0.0],
            },
        )
        total = self._group(
            "crm.support.kpi.stage", domain, [], ["complaints_per_100:avg"]
        )
        self.assertEqual(total[()], [80.0])
        # the per-request report names the customer's stage too
        lifecycle = self._group(
            "crm.support.kpi.ticket",
            [("team_id", "=", self.team.id)],
            ["lifecycle_stage_id"],
            ["request_count:sum"],
        )
        self.assertEqual(
            lifecycle, {self.stage["active"]: [5], self.stage["at_risk"]: [1]}
        )

    def test_reports_access(self):
        self._fixture()
        Report = self.env["crm.support.kpi.ticket"]
        self.assertTrue(Report.with_user(self.agent).search_count([]))
        other = self.env["res.company"].create({"name": "Other support company"})
        outsider = self.env["res.users"].create(
            {
                "name": "Outsider",
                "login": "kpi_outsider",
                "company_id": other.id,
                "company_ids": [(6, 0, other.ids)],
                "groups_id": [
                    (6, 0, self.env.ref("crm_support_ext.group_support_user").ids)
                ],
            }
        )
        for model in (
            "crm.support.kpi.ticket",
            "crm.support.kpi.period",
            "crm.support.kpi.stage",
        ):
            self.assertFalse(
                self.env[model]
                .with_user(outsider)
                .search_count([("company_id", "=", self.env.company.id)])
            )
        portal = self.env["res.users"].create(
            {
                "name": "Portal KPI",
                "login": "kpi_portal",
                "groups_id": [(6, 0, self.env.ref("base.group_portal").ids)],
            }
        )
        with self.assertRaises(AccessError):
            Report.with_user(portal).search([])

    def test_resolution_hours_batched_per_calendar(self):
        """The resolution hours of many requests read each calendar's work
        intervals once: the same number of queries for 5 and 40 requests."""
        counts = []
        for size in (5, 40):
            tickets = self.env["helpdesk.ticket"].create(
                [
                    {
                        "name": f"Batch {i}",
                        "description": "<p>x</p>",
                        "team_id": self.team.id,
                    }
                    for i in range(size)
                ]
            )
            self._set_created(tickets, self._at(0, 9))
            self.env.cr.execute(
                "UPDATE helpdesk_ticket SET stage_id = %s, closed_date = %s"
                " WHERE id IN %s",
                (self.stage_done.id, self._at(1, 11), tuple(tickets.ids)),
            )
            self.env.invalidate_all()
            tickets.mapped("stage_id.closed")
            tickets.mapped("team_id.resource_calendar_id.tz")
            tickets.mapped("company_id.resource_calendar_id")
            before = self.env.cr.sql_log_count
            tickets._compute_resolution_hours()
            counts.append(self.env.cr.sql_log_count - before)
            # Monday 9-17 and Tuesday 9-11
            self.assertEqual(set(tickets.mapped("resolution_hours")), {10.0})
        self.assertEqual(counts[0], counts[1])
