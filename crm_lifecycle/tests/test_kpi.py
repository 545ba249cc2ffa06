from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..hooks import uninstall_hook
from .common import LifecycleCommon

# The hand-checked fixture (docs/kpis.md walks through the same numbers).
#
# Invoices (company 1), product category in brackets:
#   A  2025-01-10 100 [Vehicles]  2025-02-15 100 [Service]  2025-04-05 100 [Service]
#   B  2025-01-20 200 [Vehicles]  2025-03-03 200 [Service]
#   C  2025-02-01 300 [Vehicles]  2025-02-20 300 [Service]  2025-03-10 300 [Service]
#   D  2025-03-15 400 [Vehicles]  refund 2025-03-20 100 [Vehicles]
# Stage history:
#   A  2025-01-10 -> New, 2025-04-20 New -> Loyal
#   B  2025-01-20 -> New, 2025-06-10 New -> Churned, 2025-08-05 Churned -> Won back
#   C  2025-02-01 -> New, 2025-06-15 New -> Churned
#   D  2025-03-15 -> New, 2025-05-05 New -> At risk
# Company 2: F  2025-01-05 50 [Vehicles]


@tagged("post_install", "-at_install")
class TestKpi(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.setup_other_company()["company"]
        Category = cls.env["product.category"]
        cls.vehicles = Category.create({"name": "KPI Vehicles"})
        cls.service = Category.create({"name": "KPI Service"})
        cls.car = cls.env["product.product"].create(
            {"name": "KPI Car", "categ_id": cls.vehicles.id, "type": "consu"}
        )
        cls.repair = cls.env["product.product"].create(
            {"name": "KPI Repair", "categ_id": cls.service.id, "type": "service"}
        )
        cls.a = cls._customer("KPI A")
        cls.b = cls._customer("KPI B")
        cls.c = cls._customer("KPI C")
        cls.d = cls._customer("KPI D")
        cls.f = cls._customer("KPI F")
        car, repair = cls.car, cls.repair
        moves = [
            (cls.a, "2025-01-10", car, 100),
            (cls.a, "2025-02-15", repair, 100),
            (cls.a, "2025-04-05", repair, 100),
            (cls.b, "2025-01-20", car, 200),
            (cls.b, "2025-03-03", repair, 200),
            (cls.c, "2025-02-01", car, 300),
            (cls.c, "2025-02-20", repair, 300),
            (cls.c, "2025-03-10", repair, 300),
            (cls.d, "2025-03-15", car, 400),
        ]
        cls._kpi_moves(
            [cls._kpi_move_vals("out_invoice", *move) for move in moves]
            + [cls._kpi_move_vals("out_refund", cls.d, "2025-03-20", car, 100)]
        )
        cls._kpi_moves(
            [
                cls._kpi_move_vals(
                    "out_invoice", cls.f, "2025-01-05", car, 50, company=cls.other
                )
            ],
            company=cls.other,
        )
        customers = cls.a | cls.b | cls.c | cls.d
        cls.env["crm.lifecycle.scoring"]._scoring_score_company(cls.company, cls.TODAY)
        cls.profiles = {
            profile.partner_id: profile
            for profile in cls.Profile.search(
                [
                    ("partner_id", "in", customers.ids),
                    ("company_id", "=", cls.company.id),
                ]
            )
        }
        History = cls.env["crm.lifecycle.history"].sudo()
        # the fixture's own history replaces the engine's
        History.search([("company_id", "=", cls.company.id)]).unlink()
        stages = cls.stages
        history = [
            (cls.a, "2025-01-10", None, "new"),
            (cls.a, "2025-04-20", "new", "loyal"),
            (cls.b, "2025-01-20", None, "new"),
            (cls.b, "2025-06-10", "new", "churned"),
            (cls.b, "2025-08-05", "churned", "won_back"),
            (cls.c, "2025-02-01", None, "new"),
            (cls.c, "2025-06-15", "new", "churned"),
            (cls.d, "2025-03-15", None, "new"),
            (cls.d, "2025-05-05", "new", "at_risk"),
        ]
        for partner, day, from_kind, to_kind in history:
            History._lifecycle_create_history(
                [
                    {
                        "profile_id": cls.profiles[partner].id,
                        "partner_id": partner.id,
                        "company_id": cls.company.id,
                        "from_stage_id": from_kind and stages[from_kind].id,
                        "to_stage_id": stages[to_kind].id,
                        "from_kind": from_kind,
                        "to_kind": to_kind,
                        "origin": "engine",
                        "reason": "fixture",
                        "duration_days": 10,
                    }
                ],
                fields.Date.to_date(day),
            )
        ValueSegment = cls.env["crm.lifecycle.value.segment"]
        cls.high = cls.env.ref("crm_lifecycle.value_segment_high_high")
        cls.low = ValueSegment.search([("id", "!=", cls.high.id)], limit=1)
        champions = cls.env.ref("crm_lifecycle.segment_champions")
        cls.gold = cls.env["crm.lifecycle.tier"].create(
            {"name": "KPI Gold", "sequence": 977, "company_id": cls.company.id}
        )
        scores = [
            (cls.a, "loyal", cls.high, 1000, False, cls.gold),
            (cls.b, "won_back", cls.high, 500, champions, cls.gold),
            (cls.c, "churned", cls.low, 0, False, False),
            (cls.d, "at_risk", cls.low, 250, False, False),
        ]
        cls.env.flush_all()
        for partner, kind, value_segment, clv, segment, tier in scores:
            cls.env.cr.execute(
                """UPDATE crm_lifecycle_profile
                      SET stage_id = %s, stage_kind = %s, value_segment_id = %s,
                          predicted_clv = %s, segment_id = %s, tier_id = %s
                    WHERE id = %s""",
                [
                    stages[kind].id,
                    kind,
                    value_segment.id,
                    clv,
                    segment and segment.id or None,
                    tier and tier.id or None,
                    cls.profiles[partner].id,
                ],
            )
        cls.env.invalidate_all()
        cls.env["crm.lifecycle.kpi.mixin"]._kpi_refresh()

    @classmethod
    def _kpi_move_vals(cls, move_type, partner, day, product, amount, company=None):
        company = company or cls.company
        journal = cls.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        return {
            "move_type": move_type,
            "partner_id": partner.id,
            "journal_id": journal.id,
            "company_id": company.id,
            "invoice_date": day,
            "date": day,
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": product.id,
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }

    @classmethod
    def _kpi_moves(cls, vals, company=None):
        Move = cls.env["account.move"].with_company(company or cls.company)
        Move.create(vals).action_post()

    def _rows(self, model, company=None, **keys):
        domain = [("company_id", "=", (company or self.company).id)]
        domain += [(name, "=", value) for name, value in keys.items()]
        return self.env[model].search(domain)

    def _month(self, day, company=None):
        return self._rows(
            "crm.lifecycle.kpi.monthly", company, month=fields.Date.to_date(day)
        )

    # ------------------------------------------------------------------

    def test_monthly(self):
        expected = {
            # month: new, active, churned, won back, base, churn %, retention %
            # no customers at start: the rates are empty (read as 0)
            "2025-01-01": (2, 2, 0, 0, 0, 0, 0),
            "2025-02-01": (1, 2, 0, 0, 2, 0, 100),
            "2025-03-01": (1, 3, 0, 0, 3, 0, 100),
            "2025-04-01": (0, 1, 0, 0, 4, 0, 100),
            "2025-05-01": (0, 0, 0, 0, 4, 0, 100),
            "2025-06-01": (0, 0, 2, 0, 4, 50, 50),
            "2025-07-01": (0, 0, 0, 0, 2, 0, 100),
            "2025-08-01": (0, 0, 0, 1, 2, 0, 100),
            "2025-09-01": (0, 0, 0, 0, 3, 0, 100),
        }
        for month, numbers in expected.items():
            row = self._month(month)
            self.assertEqual(len(row), 1, month)
            self.assertEqual(
                (
                    row.new_count,
                    row.active_count,
                    row.churned_count,
                    row.won_back_count,
                    row.base_count,
                    row.churn_rate,
                    row.retention_rate,
                ),
                numbers,
                month,
            )
        # one row per month from the first one to the current month
        this_month = date.today().replace(day=1)
        rows = self._rows("crm.lifecycle.kpi.monthly")
        months = relativedelta(this_month, date(2025, 1, 1))
        self.assertEqual(len(rows), months.years * 12 + months.months + 1)
        self.assertEqual(self._month(this_month).base_count, 3)
        self.assertEqual(sum(rows.mapped("new_count")), 4)

    def test_monthly_read_group(self):
        """The pivot's totals: sums of counts, averages of rates."""
        [(new, active, churned, churn_rate)] = self.env[
            "crm.lifecycle.kpi.monthly"
        ]._read_group(
            [
                ("company_id", "=", self.company.id),
                ("month", ">=", "2025-05-01"),
                ("month", "<=", "2025-06-01"),
            ],
            [],
            [
                "new_count:sum",
                "active_count:sum",
                "churned_count:sum",
                "churn_rate:avg",
            ],
        )
        self.assertEqual((new, active, churned, churn_rate), (0, 0, 2, 25))

    def test_cohort_triangle(self):
        Cohort = self.env["crm.lifecycle.kpi.cohort"]
        rows = Cohort.search([("company_id", "=", self.company.id)])
        triangle = {
            (row.cohort_month.isoformat(), row.months_since): (
                row.cohort_size,
                row.active_count,
                row.retention,
            )
            for row in rows
        }
        expected = {
            ("2025-01-01", 0): (2, 2, 100),
            ("2025-01-01", 1): (2, 1, 50),
            ("2025-01-01", 2): (2, 1, 50),
            ("2025-01-01", 3): (2, 1, 50),
            ("2025-01-01", 4): (2, 0, 0),
            ("2025-02-01", 0): (1, 1, 100),
            ("2025-02-01", 1): (1, 1, 100),
            ("2025-02-01", 2): (1, 0, 0),
            ("2025-03-01", 0): (1, 1, 100),
            ("2025-03-01", 1): (1, 0, 0),
        }
        for cell, numbers in expected.items():
            self.assertEqual(triangle[cell], numbers, cell)
        # a triangle: each cohort has a cell per month up to this month
        this_month = date.today().replace(day=1)
        for cohort in ("2025-01-01", "2025-02-01", "2025-03-01"):
            age = relativedelta(this_month, fields.Date.to_date(cohort))
            cells = sorted(since for month, since in triangle if month == cohort)
            self.assertEqual(cells, list(range(age.years * 12 + age.months + 1)))
        self.assertEqual(
            {month for month, _since in triangle}, {c for c, _s in expected}
        )
        # the pivot: cohort rows, months-since columns, active customers
        groups = Cohort._read_group(
            [("company_id", "=", self.company.id), ("months_since", "<=", 3)],
            ["cohort_month:month", "months_since"],
            ["active_count:sum", "cohort_size:max"],
        )
        cells = {(month.isoformat(), since): n for month, since, n, _size in groups}
        self.assertEqual(cells[("2025-01-01", 3)], 1)
        self.assertEqual(cells[("2025-02-01", 3)], 0)

    def test_value_and_lifecycle_length(self):
        Value = self.env["crm.lifecycle.kpi.value"]
        domain = [("company_id", "=", self.company.id)]
        by_segment = {
            segment: (count, clv, avg)
            for segment, count, clv, avg in Value._read_group(
                domain,
                ["value_segment_id"],
                ["customer_count:sum", "predicted_clv:sum", "predicted_clv_avg:avg"],
            )
        }
        self.assertEqual(by_segment[self.high], (2, 1000 + 500, 750))
        self.assertEqual(by_segment[self.low], (2, 250, 125))
        by_tier = {
            tier: (count, clv)
            for tier, count, clv in Value._read_group(
                domain, ["tier_id"], ["customer_count:sum", "predicted_clv:sum"]
            )
        }
        Tier = self.env["crm.lifecycle.tier"]
        self.assertEqual(by_tier, {self.gold: (2, 1500), Tier: (2, 250)})
        by_stage = dict(
            Value._read_group(domain, ["stage_kind"], ["predicted_clv:sum"])
        )
        self.assertEqual(
            by_stage, {"loyal": 1000, "won_back": 500, "churned": 0, "at_risk": 250}
        )
        # lifecycle length: first to last purchase, days
        # A 2025-01-10..04-05 = 85, B 01-20..03-03 = 42, C 02-01..03-10 = 37, D 0
        [[length]] = Value._read_group(domain, [], ["lifecycle_days:avg"])
        self.assertEqual(length, (85 + 42 + 37 + 0) / 4)
        lengths = dict(
            Value._read_group(domain, ["stage_kind"], ["lifecycle_days:avg"])
        )
        self.assertEqual(lengths["loyal"], 85)
        self.assertEqual(lengths["won_back"], 42)
        loyal = dict(Value._read_group(domain, ["loyal"], ["customer_count:sum"]))
        self.assertEqual(loyal, {True: 2, False: 2})

    def test_transitions(self):
        Transition = self.env["crm.lifecycle.kpi.transition"]
        counts = {
            (from_stage.kind or None, to_stage.kind): count
            for from_stage, to_stage, count in Transition._read_group(
                [("company_id", "=", self.company.id)],
                ["from_stage_id", "to_stage_id"],
                ["transition_count:sum"],
            )
        }
        self.assertEqual(
            counts,
            {
                (None, "new"): 4,
                ("new", "loyal"): 1,
                ("new", "churned"): 2,
                ("churned", "won_back"): 1,
                ("new", "at_risk"): 1,
            },
        )
        june = Transition.search(
            [("company_id", "=", self.company.id), ("month", "=", "2025-06-01")]
        )
        self.assertEqual(june.mapped("transition_count"), [2])

    def test_loyal_by_category(self):
        Category = self.env["crm.lifecycle.kpi.category"]
        cells = {
            (categ, loyal): (revenue, quantity, customers)
            for categ, loyal, revenue, quantity, customers in Category._read_group(
                [("company_id", "=", self.company.id)],
                ["categ_id", "loyal"],
                ["revenue:sum", "quantity:sum", "customer_count:sum"],
            )
        }
        self.assertEqual(
            cells,
            {
                # loyal: A (stage Loyal) and B (RFM Champions)
                (self.vehicles, True): (100 + 200, 2, 2),
                (self.service, True): (100 + 100 + 200, 3, 2),
                # not loyal: C and D, D's refund deducted
                (self.vehicles, False): (300 + 400 - 100, 1, 2),
                (self.service, False): (300 + 300, 2, 1),
            },
        )

    def test_company_isolation(self):
        self.assertEqual(self._month("2025-01-01", self.other).new_count, 1)
        self.assertEqual(self._month("2025-01-01").new_count, 2)
        other_rows = self._rows("crm.lifecycle.kpi.category", self.other)
        self.assertEqual(other_rows.mapped("revenue"), [50])
        user = new_test_user(
            self.env,
            login="kpi_reader",
            groups="base.group_user,crm_lifecycle.group_lifecycle_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        for model in (
            "crm.lifecycle.kpi.monthly",
            "crm.lifecycle.kpi.cohort",
            "crm.lifecycle.kpi.value",
            "crm.lifecycle.kpi.transition",
            "crm.lifecycle.kpi.category",
        ):
            Report = self.env[model].with_user(user)
            rows = Report.search([])
            self.assertTrue(rows, model)
            self.assertEqual(rows.company_id, self.company, model)
            groups = Report.read_group([], ["company_id"], ["company_id"])
            self.assertEqual(
                [group["company_id"][0] for group in groups], self.company.ids
            )

    def test_refresh_rights(self):
        salesman = new_test_user(
            self.env,
            login="kpi_salesman",
            groups="base.group_user,crm_lifecycle.group_lifecycle_user",
        )
        Monthly = self.env["crm.lifecycle.kpi.monthly"]
        with self.assertRaises(AccessError):
            Monthly.with_user(salesman).action_kpi_refresh()
        action = Monthly.with_user(self.manager).action_kpi_refresh()
        self.assertEqual(action["tag"], "display_notification")
        # the reports are read-only, for managers too
        row = self._month("2025-01-01").with_user(self.manager)
        with self.assertRaises(AccessError):
            row.write({"new_count": 99})
        with self.assertRaises(AccessError):
            Monthly.with_user(self.manager).create({"new_count": 1})
        with self.assertRaises(AccessError):
            row.unlink()

    def _view_oid(self):
        self.env.cr.execute("SELECT 'crm_lifecycle_kpi_monthly'::regclass::oid")
        return self.env.cr.fetchone()[0]

    def test_upgrade_keeps_unchanged_views(self):
        """An upgrade (init) keeps a view whose definition is unchanged and
        recreates, filled, one whose definition changed."""
        Monthly = self.env["crm.lifecycle.kpi.monthly"]
        before = self._view_oid()
        Monthly.init()
        self.assertEqual(self._view_oid(), before)
        self.env.cr.execute(
            "COMMENT ON MATERIALIZED VIEW crm_lifecycle_kpi_monthly IS 'older'"
        )
        Monthly.init()
        self.assertNotEqual(self._view_oid(), before)
        Monthly.invalidate_model()
        self.assertEqual(self._month("2025-01-01").new_count, 2)

    def test_uninstall_drops_views(self):
        self.env.cr.execute(
            "SELECT COUNT(*) FROM pg_matviews WHERE matviewname LIKE %s",
            ["crm\\_lifecycle\\_kpi\\_%"],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 5)
        uninstall_hook(self.env)
        self.env.cr.execute(
            "SELECT COUNT(*) FROM pg_matviews WHERE matviewname LIKE %s",
            ["crm\\_lifecycle\\_kpi\\_%"],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_job_refreshes_reports(self):
        """The nightly job triggers the refresh of the reports when its runs
        finish; the refresh is a scheduled action of its own."""
        late = self._customer("KPI Late")
        self._kpi_moves(
            [self._kpi_move_vals("out_invoice", late, "2025-01-25", self.car, 10)]
        )
        self.assertEqual(self._month("2025-01-01").new_count, 2)
        refresh = self.env.ref("crm_lifecycle.ir_cron_lifecycle_kpi_refresh")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([("cron_id", "=", refresh.id)])
        self.Run._cron_lifecycle_scoring(today=self.TODAY)
        self.assertTrue(Trigger.search([("cron_id", "=", refresh.id)]) - before)
        self.assertEqual(self._month("2025-01-01").new_count, 2)
        self.Run._cron_lifecycle_kpi_refresh()
        self.assertEqual(self._month("2025-01-01").new_count, 3)
