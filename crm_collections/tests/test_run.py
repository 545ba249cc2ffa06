from datetime import timedelta
from unittest.mock import patch

from odoo import fields, sql_db
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.crm_collections.models.crm_collections_run import LOCK_NAMESPACE

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestRun(CollectionsCommon):
    def test_level_on_boundary_days(self):
        expected = {
            14: False,
            15: self.level1,
            29: self.level1,
            30: self.level2,
            59: self.level2,
            60: self.level3,
            400: self.level3,
        }
        partners = {days: self._customer(f"Late {days}") for days in expected}
        self._overdue_batch([(partners[days], days, 100.0) for days in expected])
        run = self._run()
        self.assertEqual(run.state, "review")
        for days, level in expected.items():
            line = self._line(run, partners[days])
            self.assertEqual(
                line.level_id.id, level and level.id, f"{days} days overdue"
            )
            if level:
                self.assertEqual(line.line_invoice_ids.days_overdue, days)
                self.assertEqual(line.line_invoice_ids.level_id, level)
        self.assertEqual(run.line_count, 6)
        self.assertEqual(run.invoice_count, 6)

    def test_one_line_per_partner_at_highest_level(self):
        partner = self._customer("Two Invoices")
        moves = self._overdue_batch([(partner, 20, 100.0), (partner, 40, 250.0)])
        # a not yet due invoice is not listed
        self._overdue(partner, -5, 999.0)
        run = self._run()
        line = self._line(run, partner)
        self.assertEqual(len(line), 1)
        self.assertEqual(line.level_id, self.level2)
        self.assertEqual(line.channel, "letter")
        self.assertEqual(line.amount_total, 350.0)
        self.assertEqual(line.line_invoice_ids.move_id, moves)
        by_move = {li.move_id: li.level_id for li in line.line_invoice_ids}
        self.assertEqual(by_move[moves[0]], self.level1)
        self.assertEqual(by_move[moves[1]], self.level2)
        self.assertEqual(line.explanation_data[0]["code"], "level")
        self.assertIn(
            f"L2 letter because invoice {moves[1].name} is 40 days overdue",
            line.explanation,
        )

    def test_vip_adaptation_by_value_and_tier(self):
        self.policy.write({"vip_min_predicted_clv": 5000, "vip_extra_days": 10})
        rich = self._customer("Rich Ltd", user_id=self.salesman.id)
        gold_tier = (
            self.env["crm.lifecycle.tier"]
            .sudo()
            .create(
                [
                    {"name": "C Silver", "sequence": 20, "company_id": self.company.id},
                    {"name": "C Gold", "sequence": 30, "company_id": self.company.id},
                ]
            )[1]
        )
        golden = self._customer("Golden Ltd")
        plain = self._customer("Plain Ltd")
        Profile = self.env["crm.lifecycle.profile"].sudo()
        Profile.create(
            [
                {
                    "partner_id": rich.id,
                    "company_id": self.company.id,
                    "predicted_clv": 8000,
                },
                {
                    "partner_id": golden.id,
                    "company_id": self.company.id,
                    "tier_id": gold_tier.id,
                },
                {
                    "partner_id": plain.id,
                    "company_id": self.company.id,
                    "predicted_clv": 10,
                },
            ]
        )
        self.policy.vip_min_tier_id = gold_tier
        moves = self._overdue_batch(
            [(rich, 35, 100.0), (golden, 24, 100.0), (plain, 35, 100.0)]
        )
        run = self._run()
        line = self._line(run, rich)
        # 35 days: L2 (30) for others, L1 for a VIP (30 + 10 = 40 > 35)
        self.assertEqual(line.level_id, self.level1)
        self.assertEqual(line.channel, "phone")
        self.assertEqual(line.user_id, self.salesman)
        codes = [item["code"] for item in line.explanation_data]
        self.assertEqual(codes, ["level", "vip"])
        self.assertEqual(line.explanation_data[1]["clv"], 8000)
        self.assertIn(
            "Phone call by the salesperson instead of Email", line.explanation
        )
        self.assertIn("10 days later", line.explanation)
        self.assertIn(moves[0].name, line.explanation)
        # tier VIP: 24 days < 15 + 10: no reminder yet
        self.assertFalse(self._line(run, golden))
        plain_line = self._line(run, plain)
        self.assertEqual(plain_line.level_id, self.level2)
        self.assertEqual(plain_line.channel, "letter")
        self.assertEqual([i["code"] for i in plain_line.explanation_data], ["level"])

    def _send(self, run):
        run.action_validate()
        # what the sending job does (as superuser)
        sent = run.line_ids.filtered(lambda line: line.state == "to_send")
        sent.sudo().write({"state": "sent"})

    def test_never_same_level_twice(self):
        partner = self._customer("Twice Ltd")
        self._overdue(partner, 20)
        run1 = self._run()
        self.assertEqual(self._line(run1, partner).level_id, self.level1)
        self._send(run1)
        # the next days: still level 1, already sent: no line
        run2 = self._run(self.TODAY + timedelta(days=1))
        self.assertFalse(self._line(run2, partner))
        run3 = self._run(self.TODAY + timedelta(days=5))
        self.assertFalse(run3.line_ids)
        # level 2 on day 30 after the due date
        run4 = self._run(self.TODAY + timedelta(days=10))
        self.assertEqual(self._line(run4, partner).level_id, self.level2)
        # a cancelled line is not history: the level is proposed again
        self._line(run4, partner).action_cancel()
        run5 = self._run(self.TODAY + timedelta(days=11))
        self.assertEqual(self._line(run5, partner).level_id, self.level2)

    def test_lock_second_generation(self):
        partner = self._customer("Locked Ltd")
        self._overdue(partner, 20)
        run = self.Run.create({"company_id": self.company.id, "date": self.TODAY})
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, self.company.id]
            )
            self.assertTrue(other.fetchone()[0])
            with self.assertRaisesRegex(
                UserError, "being generated by another process"
            ):
                run._collections_generate()
            # the daily job skips the company instead of failing
            with self.assertLogs(
                "odoo.addons.crm_collections.models.crm_collections_run", "WARNING"
            ) as logs:
                runs = self.Run._cron_collections_run(self.TODAY)
            self.assertIn("being generated by another process", logs.output[0])
            self.assertFalse(runs.filtered(lambda r: r.company_id == self.company))
        finally:
            other.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, self.company.id]
            )
            other.close()
        run._collections_generate()
        self.assertEqual(len(run.line_ids), 1)

    def test_exception_mid_run_releases_lock(self):
        partner = self._customer("Boom Ltd")
        self._overdue(partner, 20)
        run = self.Run.create({"company_id": self.company.id, "date": self.TODAY})
        # not assertRaises: it would roll the whole attempt back (savepoint)
        raised = False
        with patch.object(
            self.registry["crm.collections.run"],
            "_collections_insert_line_invoices_sql",
            side_effect=RuntimeError("boom"),
        ):
            try:
                run._collections_generate()
            except RuntimeError:
                raised = True
        self.assertTrue(raised)
        # the lines of the failed attempt are rolled back, the run is left
        # generating and the company's lock is free
        self.assertFalse(run.line_ids)
        self.assertEqual(run.state, "generating")
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute(
                "SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, self.company.id]
            )
            self.assertTrue(other.fetchone()[0])
            other.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, self.company.id]
            )
        finally:
            other.close()
        run._collections_generate()
        self.assertEqual(run.state, "review")
        self.assertEqual(len(run.line_ids.line_invoice_ids), 1)

    def test_resume_after_kill(self):
        partners = [self._customer(f"Resume {i}") for i in range(3)]
        self._overdue_batch(
            [(partner, 20 + i, 100.0) for i, partner in enumerate(partners)]
        )
        run = self._run()
        self.assertEqual(len(run.line_ids), 3)
        # a killed worker: the run is left generating, part of it written
        self._line(run, partners[0]).unlink()
        self._line(run, partners[1]).line_invoice_ids.unlink()
        run.sudo().write({"state": "generating"})
        self.Run._cron_collections_run(self.TODAY)
        self.assertEqual(run.state, "review")
        self.assertEqual(len(run.line_ids), 3)
        self.assertEqual(len(run.line_ids.line_invoice_ids), 3)
        # generating again changes nothing
        run._collections_generate()
        self.assertEqual(len(run.line_ids), 3)
        self.assertEqual(len(run.line_ids.line_invoice_ids), 3)
        self.assertEqual(
            self.Run.search_count([("company_id", "=", self.company.id)]), 1
        )

    def test_review_remove_change_validate(self):
        partners = [self._customer(f"Review {i}") for i in range(3)]
        self._overdue_batch([(partner, 70, 100.0) for partner in partners])
        run = self._run()
        self.assertEqual(set(run.line_ids.mapped("state")), {"draft"})
        self._line(run, partners[0]).action_cancel()
        self._line(run, partners[1]).write(
            {"level_id": self.level2.id, "channel": "letter"}
        )
        run.action_validate()
        self.assertEqual(run.state, "sending")
        self.assertEqual(self._line(run, partners[0]).state, "cancelled")
        self.assertEqual(self._line(run, partners[1]).state, "to_send")
        with self.assertRaisesRegex(UserError, "draft lines"):
            self._line(run, partners[1]).write({"channel": "email"})
        # last level: a handover activity, through the documented hook
        last = self._line(run, partners[2])
        self.assertTrue(last.is_last_level)
        self.assertEqual(len(last.activity_ids), 1)
        self.assertFalse(self._line(run, partners[1]).activity_ids)

    def test_automatic_mode(self):
        self.policy.mode = "automatic"
        partner = self._customer("Auto Ltd")
        self._overdue(partner, 20)
        run = self._run()
        self.assertEqual(run.state, "sending")
        self.assertEqual(self._line(run, partner).state, "to_send")

    def test_new_run_button(self):
        partner = self._customer("Button Ltd")
        self._overdue(partner, 20)
        today = fields.Date.context_today(self.Run)
        action = self.Run.action_new_run()
        run = self.Run.browse(action["res_id"])
        self.assertEqual(run.date, today)
        self.assertTrue(self._line(run, partner))

    def test_query_count_independent_of_size(self):
        def count(run):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            run._collections_generate()
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        def new_run(days):
            return self.Run.create(
                {
                    "company_id": self.company.id,
                    "date": self.TODAY + timedelta(days=days),
                }
            )

        small = [self._customer(f"Q small {i}") for i in range(10)]
        self._overdue_batch(
            [(partner, 20 + i, 10.0) for i, partner in enumerate(small)]
        )
        # the first generation after records were created loads rules and
        # caches (ormcache): compare the second runs of each size
        count(new_run(0))
        run_small = new_run(1)
        queries = count(run_small)
        self.assertEqual(run_small.invoice_count, 10)
        big = [self._customer(f"Q big {i}") for i in range(45)]
        self._overdue_batch(
            [(partner, 20 + i % 45, 10.0) for i, partner in enumerate(big * 2)]
        )
        count(new_run(2))
        run_big = new_run(3)
        self.env.invalidate_all()
        with self.assertQueryCount(queries):
            run_big._collections_generate()
        self.assertEqual(run_big.invoice_count, 100)
        self.assertEqual(count(new_run(4)), queries)
