from datetime import date, timedelta
from unittest.mock import patch

from psycopg2 import errors

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.crm_lifecycle_scoring import (
    LOCK_NAMESPACE,
    CrmLifecycleScoring,
    run_table,
)
from ..models.crm_lifecycle_scoring_batch import (
    CrmLifecycleScoring as CrmLifecycleScoringBatch,
)
from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestScoringJob(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = date.today()
        cls.customers = cls.env["res.partner"]
        # First purchases 100-104 days ago: new 95 days ago, active today.
        for index in range(5):
            customer = cls._customer(f"Job {index}")
            cls.customers |= customer
            cls._invoice(customer, cls.today - timedelta(days=100 + index), 100)

    def _run_job(self, batch_size=2, today=None):
        return self.Run._cron_lifecycle_scoring(today=today, batch_size=batch_size)

    def _my_profiles(self):
        return self.Profile.search([("partner_id", "in", self.customers.ids)])

    def _my_run(self, runs):
        return runs.filtered(lambda run: run.company_id == self.company)

    def test_job_scores_every_customer_in_batches(self):
        progress = []
        with patch.object(
            type(self.env["ir.cron"]),
            "_notify_progress",
            lambda cron, done, remaining, deactivate=False: progress.append(
                (done, remaining)
            ),
        ):
            runs = self._run_job()
        run = self._my_run(runs)
        self.assertRecordValues(
            run,
            [
                {
                    "state": "done",
                    "prepared": True,
                    "partner_total": 5,
                    "partner_done": 5,
                    "changed_count": 5,
                    "stage_change_count": 5,
                }
            ],
        )
        profiles = self._my_profiles()
        self.assertEqual(set(profiles.mapped("stage_kind")), {"active"})
        self.assertEqual(len(profiles.history_ids), 5)
        self.assertTrue(all(profiles.mapped("segment_id")))
        self.assertEqual(
            set(run.rfm_cutpoints),
            {"recency_score", "frequency_score", "monetary_score"},
        )
        self.assertEqual(progress[-1], (sum(runs.mapped("partner_total")), 0))
        self.assertTrue(any(remaining > 0 for _done, remaining in progress))
        # The run's working table is gone once the run is done.
        self.env.cr.execute("SELECT to_regclass(%s)", [run_table(run.id)])
        self.assertIsNone(self.env.cr.fetchone()[0])

    def test_first_run_refreshes_profile_statistics(self):
        """A run that creates profiles re-analyses them as the table grows
        (doubling), so that the planner stops joining each batch to the
        profiles as if the table were empty; a run that creates none does
        not."""
        Run = type(self.Run)
        calls = []
        refresh = Run._lifecycle_refresh_statistics

        def spy(run):
            calls.append(run._lifecycle_analyzed_rows())
            return refresh(run)

        with (
            patch(
                "odoo.addons.crm_lifecycle.models.crm_lifecycle_run.ANALYZE_MIN_ROWS", 2
            ),
            patch.object(Run, "_lifecycle_analyzed_rows", return_value=0),
            patch.object(Run, "_lifecycle_refresh_statistics", spy),
        ):
            self._run_job(batch_size=1)
        self.assertGreaterEqual(len(calls), 2)
        profiles = self.Profile.search_count([])
        # doubling: about log2(profiles) refreshes, not one per batch
        self.assertLessEqual(len(calls), profiles.bit_length() + 1)
        self.assertGreaterEqual(
            self.Run._lifecycle_analyzed_rows(), len(self.customers)
        )
        calls.clear()
        with patch.object(Run, "_lifecycle_refresh_statistics", spy):
            self._run_job(batch_size=1)
        self.assertEqual(calls, [])

    def test_job_resumes_after_crash_without_preparing_again(self):
        original_batch = CrmLifecycleScoringBatch._scoring_run_batch
        original_prepare = CrmLifecycleScoring._scoring_prepare
        calls, prepared = [], []

        def crash_on_second_batch(scoring, ctx, partner_ids):
            if ctx.company == self.company:
                calls.append(list(partner_ids))
                if len(calls) == 2:
                    raise RuntimeError("worker killed")
            return original_batch(scoring, ctx, partner_ids)

        def count_prepare(scoring, ctx):
            prepared.append(ctx.company)
            return original_prepare(scoring, ctx)

        with (
            patch.object(CrmLifecycleScoring, "_scoring_prepare", count_prepare),
            patch.object(
                CrmLifecycleScoringBatch, "_scoring_run_batch", crash_on_second_batch
            ),
        ):
            with self.assertRaisesRegex(RuntimeError, "worker killed"):
                self._run_job()
            run = self.Run.search([("company_id", "=", self.company.id)])
            self.assertRecordValues(
                run,
                [
                    {
                        "state": "running",
                        "partner_done": 2,
                        "last_partner_id": calls[0][-1],
                    }
                ],
            )
            scored = self._my_profiles().filtered("stage_id")
            self.assertEqual(scored.partner_id.ids, calls[0])
            # The next execution resumes after the checkpoint, from the same
            # working data.
            self._run_job()
        self.assertEqual(prepared.count(self.company), 1, "prepared once")
        run.invalidate_recordset()
        self.assertRecordValues(
            run,
            [{"state": "done", "partner_done": 5, "resume_count": 1}],
        )
        profiles = self._my_profiles()
        self.assertTrue(all(profiles.mapped("stage_id")))
        self.assertEqual(len(profiles.history_ids), 5, "one history row each")
        self.assertEqual(
            len(self.Run.search([("company_id", "=", self.company.id)])), 1
        )

    def test_stale_run_of_another_day_is_interrupted(self):
        stale = self.Run.sudo().create(
            {"company_id": self.company.id, "date": self.today - timedelta(days=1)}
        )
        self.env.cr.execute(f"CREATE TABLE {run_table(stale.id)} (a int)")
        self._run_job()
        self.assertEqual(stale.state, "interrupted")
        self.env.cr.execute("SELECT to_regclass(%s)", [run_table(stale.id)])
        self.assertIsNone(self.env.cr.fetchone()[0])

    def test_second_run_rewrites_nothing(self):
        self._run_job()
        profiles = self._my_profiles()
        self.env.cr.execute(
            "UPDATE crm_lifecycle_profile SET write_date = '2000-01-01' "
            "WHERE id = ANY(%s)",
            [profiles.ids],
        )
        run = self._my_run(self._run_job())
        self.assertEqual(run.changed_count, 0)
        self.assertEqual(run.stage_change_count, 0)
        self.env.cr.execute(
            "SELECT COUNT(*) FROM crm_lifecycle_profile "
            "WHERE id = ANY(%s) AND write_date > '2000-01-01'",
            [profiles.ids],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertEqual(len(profiles.history_ids), 5)
        self.assertEqual(
            self.Run._lifecycle_count_mismatches(self.company, self.today), 0
        )

    def test_incremental_runs_score_only_what_needs_it(self):
        """A run scores the customers whose figures changed, whose stage
        decision expired or whose rules changed, and nobody else; a scoring
        from scratch agrees with it every day."""
        run = self._my_run(self._run_job())
        self.assertEqual(run.scored_count, 5)
        # Nothing changed: nobody is scored, the ranking is reused.
        run = self._my_run(self._run_job())
        self.assertRecordValues(
            run, [{"scored_count": 0, "changed_count": 0, "partner_total": 5}]
        )
        self.assertTrue(run.rfm_cutpoints)
        # A new invoice: that customer only.
        self._invoice(self.customers[0], self.today, 10)
        run = self._my_run(self._run_job())
        self.assertEqual(run.scored_count, 1)
        self.assertEqual(run.changed_count, 1)
        # Days pass: at risk after 120 days without purchase (first purchases
        # 100-104 days ago), decided again on the day their decision expires.
        later = self.today + timedelta(days=18)
        run = self._my_run(self._run_job(today=later))
        self.assertEqual(
            set(self._my_profiles().mapped("stage_kind")), {"active", "at_risk"}
        )
        self.assertGreater(run.stage_change_count, 0)
        self.assertEqual(self.Run._lifecycle_count_mismatches(self.company, later), 0)
        for days in (19, 20, 21, 40, 90, 200, 400):
            day = self.today + timedelta(days=days)
            self._run_job(today=day)
            self.assertEqual(
                self.Run._lifecycle_count_mismatches(self.company, day), 0, day
            )
        # New rules: everybody is decided again.
        self.company.lifecycle_churn_days = 500
        run = self._my_run(self._run_job(today=day))
        self.assertEqual(run.scored_count, 5)
        self.assertEqual(self.Run._lifecycle_count_mismatches(self.company, day), 0)

    def test_mismatches_count_stale_profiles(self):
        self._run_job()
        self.env.cr.execute(
            "UPDATE crm_lifecycle_profile SET revenue_total = 1 WHERE id = ANY(%s)",
            [self._my_profiles()[:2].ids],
        )
        self.assertEqual(
            self.Run._lifecycle_count_mismatches(self.company, self.today), 2
        )
        # The comparison rolled itself back.
        self.assertEqual(self._my_profiles().mapped("revenue_total").count(1), 2)

    def _batch_queries(self, ctx, partners):
        self.env.invalidate_all()
        start = self.cr.sql_log_count
        self.Scoring._scoring_run_batch(ctx, sorted(partners.ids))
        self.env.flush_all()
        return self.cr.sql_log_count - start

    def test_batch_queries_do_not_grow_with_customers_or_moves(self):
        """A batch runs a fixed number of queries, whatever its number of
        customers and of stage moves (logged in one batch)."""
        more = self.env["res.partner"]
        for index in range(12):
            customer = self._customer(f"Bulk {index}")
            more |= customer
            self._invoice(customer, self.today - timedelta(days=100 + index), 50)
        Scoring = self.Scoring.sudo()
        ctx = Scoring._scoring_context(self.company, self.today - timedelta(days=95))
        Scoring._scoring_prepare(ctx)
        # First stages: the first batch warms the caches; the others (2 and
        # 10 customers) must cost the same.
        counts = [
            self._batch_queries(ctx, partners)
            for partners in (more[:2], self.customers[:2], more[2:])
        ]
        self.assertEqual(counts[1], counts[2], counts)
        # Moves (new -> active): 2 moves cost what 10 moves cost.
        ctx = Scoring._scoring_context(self.company, self.today)
        Scoring._scoring_prepare(ctx)
        counts = [
            self._batch_queries(ctx, partners)
            for partners in (more[:2], self.customers[:2], more[2:])
        ]
        self.assertEqual(counts[1], counts[2], counts)
        self.assertEqual(
            set((more | self.customers[:2]).mapped("lifecycle_stage_kind")), {"active"}
        )

    def test_engine_moves_logged_in_one_batch_without_tracking(self):
        self._run_job(today=self.today - timedelta(days=95))
        with patch.object(
            type(self.env["mail.thread"]), "message_post", side_effect=AssertionError
        ):
            self._run_job()
        customer = self.customers[0]
        note = customer.message_ids[:1]
        self.assertIn("Active", note.body)
        self.assertFalse(note.tracking_value_ids)
        self.assertFalse(self._my_profiles()[0].message_ids.tracking_value_ids)

    def test_batch_retried_after_concurrent_update(self):
        original = CrmLifecycleScoringBatch._scoring_run_batch
        failures = []

        def conflict_once(scoring, ctx, partner_ids):
            if not failures:
                failures.append(partner_ids)
                raise errors.SerializationFailure("concurrent update")
            return original(scoring, ctx, partner_ids)

        with patch.object(
            CrmLifecycleScoringBatch, "_scoring_run_batch", conflict_once
        ):
            run = self._my_run(self._run_job())
        self.assertEqual(run.state, "done")
        self.assertEqual(len(self._my_profiles().history_ids), 5)

    def test_recompute_button_on_partner(self):
        customer = self.customers[0]
        customer.with_user(self.manager).action_lifecycle_recompute()
        profile = self._profile(customer)
        self.assertEqual(profile.stage_id, self.stages["active"])
        self.assertEqual(profile.purchase_count, 1)

    def test_recompute_one_customer_uses_stored_cutpoints(self):
        """Recompute Now scores RFM against the last run's cut-points and
        writes no other customer."""
        self._run_job()
        run = self._my_run(self.Run.search([]))[:1]
        others = self._my_profiles()
        self.env.cr.execute(
            "UPDATE crm_lifecycle_profile SET write_date = '2000-01-01' "
            "WHERE company_id = %s",
            [self.company.id],
        )
        big = self._customer("Big spender")
        for days in (3, 5, 7, 9):
            self._invoice(big, self.today - timedelta(days=days), 10000)
        big.with_user(self.manager).action_lifecycle_recompute()
        profile = self._profile(big)
        cuts = run.rfm_cutpoints
        expected_m = 1 + sum(
            1 for cut in cuts["monetary_score"] if cut and float(cut) <= 40000
        )
        self.assertEqual(profile.monetary_score, expected_m)
        self.assertEqual(
            profile.frequency_score,
            1
            + sum(1 for cut in cuts["frequency_score"] if cut is not None and cut <= 4),
        )
        self.assertTrue(profile.segment_id)
        self.env.cr.execute(
            "SELECT COUNT(*) FROM crm_lifecycle_profile "
            "WHERE id = ANY(%s) AND write_date > '2000-01-01'",
            [others.ids],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)

    def test_automated_action_recomputing_during_the_job(self):
        """An automated action on a stage move that recomputes the customer
        re-enters the scoring inside the job: the job's data stays its own."""
        profile_model = self.env["ir.model"]._get("crm.lifecycle.profile")
        self.env["base.automation"].create(
            {
                "name": "Recompute on move",
                "model_id": profile_model.id,
                "trigger": "on_create_or_write",
                "trigger_field_ids": [
                    Command.set(
                        self.env["ir.model.fields"]
                        ._get("crm.lifecycle.profile", "stage_id")
                        .ids
                    )
                ],
                "action_server_ids": [
                    Command.create(
                        {
                            "name": "Recompute",
                            "model_id": profile_model.id,
                            "state": "code",
                            "code": "records.action_recompute()",
                        }
                    )
                ],
            }
        )
        self._run_job(today=self.today - timedelta(days=95))
        self.assertEqual(set(self._my_profiles().mapped("stage_kind")), {"new"})
        run = self._my_run(self._run_job())
        self.assertEqual(run.state, "done")
        profiles = self._my_profiles()
        self.assertEqual(set(profiles.mapped("stage_kind")), {"active"})
        self.assertEqual(profiles.mapped("revenue_total"), [100.0] * 5)
        self.assertEqual(len(profiles.history_ids), 10, "one first stage, one move")

    def test_second_process_skips_and_recompute_refuses(self):
        """While another process runs the company's scoring, the job skips
        the company and Recompute Now answers at once."""
        with self.registry.cursor() as other:
            other.execute(
                "SELECT pg_advisory_lock(%s, %s)", [LOCK_NAMESPACE, self.company.id]
            )
            with self.assertLogs(
                "odoo.addons.crm_lifecycle.models.crm_lifecycle_run", "WARNING"
            ) as logs:
                runs = self._run_job()
            self.assertFalse(self._my_run(runs))
            self.assertIn("another process", logs.output[0])
            with self.assertRaisesRegex(UserError, "in progress"):
                self.customers[0].with_user(self.manager).action_lifecycle_recompute()
            other.execute(
                "SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, self.company.id]
            )
        self.assertEqual(self._my_run(self._run_job()).state, "done")

    def test_run_now_triggers_the_scheduled_job(self):
        cron = self.env.ref("crm_lifecycle.ir_cron_lifecycle_recompute")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        action = self.Run.with_user(self.manager).action_run_now()
        self.assertEqual(action["tag"], "display_notification")
        new = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - triggers
        self.assertEqual(len(new), 1)

    def test_steps_in_documented_order(self):
        steps = self.Scoring._scoring_ordered_steps()
        self.assertEqual([step.name for step in steps][:3], ["figures", "rfm", "stage"])
        sequences = [step.sequence for step in steps]
        self.assertEqual(sequences, sorted(sequences))


@tagged("post_install", "-at_install")
class TestBranches(LifecycleCommon):
    def test_branch_invoices_roll_up_to_the_root_company(self):
        self.company.write({"child_ids": [Command.create({"name": "Branch A"})]})
        self.cr.precommit.run()  # load the chart of accounts
        branch = self.company.child_ids
        customer = self._customer("Branch buyer")
        self._invoice(customer, "2026-06-01", 100)
        self._invoice(customer, "2026-06-10", 50, company=branch)
        profile = self._score(customer)
        self.assertEqual(profile.company_id, self.company)
        self.assertEqual(profile.revenue_total, 150.0)
        self.assertEqual(profile.purchase_count, 2)
        # A user of the branch sees the root's profile on the contact.
        partner = customer.with_company(branch)
        self.assertEqual(partner.lifecycle_profile_id, profile)
        with self.assertRaises(UserError):
            self.Profile.sudo().create(
                {"partner_id": self._customer("Other").id, "company_id": branch.id}
            )
