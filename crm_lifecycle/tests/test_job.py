from datetime import date, timedelta
from unittest.mock import patch

from odoo.tests import tagged

from ..models.crm_lifecycle_profile import CrmLifecycleProfile
from .common import LifecycleCommon


@tagged("post_install", "-at_install")
class TestScoringJob(LifecycleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = date.today()
        cls.customers = cls.env["res.partner"]
        for index in range(5):
            customer = cls._customer(f"Job {index}")
            cls.customers |= customer
            cls._invoice(customer, cls.today - timedelta(days=10 + index), 100)
        cls.Run = cls.env["crm.lifecycle.run"]

    def _run_job(self, batch_size=2):
        return self.Profile._cron_recompute_lifecycle(batch_size=batch_size)

    def _my_profiles(self):
        return self.Profile.search([("partner_id", "in", self.customers.ids)])

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
        run = runs.filtered(lambda r: r.company_id == self.company)
        self.assertRecordValues(
            run,
            [
                {
                    "state": "done",
                    "partner_total": 5,
                    "partner_done": 5,
                    "changed_count": 5,
                    "stage_change_count": 5,
                }
            ],
        )
        profiles = self._my_profiles()
        self.assertEqual(set(profiles.mapped("stage_kind")), {"new"})
        self.assertEqual(len(profiles.history_ids), 5)
        self.assertTrue(all(profiles.mapped("segment_id")))
        total = sum(runs.mapped("partner_total"))
        self.assertEqual(progress[-1], (total, 0))
        self.assertTrue(any(remaining > 0 for _done, remaining in progress))

    def test_job_resumes_after_crash_without_duplicates(self):
        original = CrmLifecycleProfile._lifecycle_recompute_partners
        calls = []

        def crash_on_second_batch(profiles, company, today, partner_ids):
            if company == self.company:
                calls.append(list(partner_ids))
                if len(calls) == 2:
                    raise RuntimeError("worker killed")
            return original(profiles, company, today, partner_ids)

        error = None
        with patch.object(
            CrmLifecycleProfile, "_lifecycle_recompute_partners", crash_on_second_batch
        ):
            try:
                self._run_job()
            except RuntimeError as exc:
                error = exc
        self.assertEqual(str(error), "worker killed")
        run = self.Run.search([("company_id", "=", self.company.id)])
        self.assertRecordValues(
            run,
            [{"state": "running", "partner_done": 2, "last_partner_id": calls[0][-1]}],
        )
        scored = self._my_profiles().filtered("stage_id")
        self.assertEqual(scored.partner_id.ids, calls[0])

        # The next execution resumes after the checkpoint.
        self._run_job()
        run.invalidate_recordset()
        self.assertRecordValues(
            run,
            [
                {
                    "state": "done",
                    "partner_done": 5,
                    "resume_count": 1,
                    "partner_total": 5,
                }
            ],
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
        self._run_job()
        self.assertEqual(stale.state, "interrupted")

    def test_second_run_rewrites_nothing(self):
        self._run_job()
        profiles = self._my_profiles()
        self.env.cr.execute(
            "UPDATE crm_lifecycle_profile SET write_date = '2000-01-01' "
            "WHERE id = ANY(%s)",
            [profiles.ids],
        )
        runs = self._run_job()
        run = runs.filtered(lambda r: r.company_id == self.company)
        self.assertEqual(run.changed_count, 0)
        self.assertEqual(run.stage_change_count, 0)
        self.env.cr.execute(
            "SELECT COUNT(*) FROM crm_lifecycle_profile "
            "WHERE id = ANY(%s) AND write_date > '2000-01-01'",
            [profiles.ids],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertEqual(len(profiles.history_ids), 5)

    def test_batch_queries_do_not_grow_with_customers(self):
        """A batch runs a fixed number of queries, whatever its size."""
        more = self.env["res.partner"]
        for index in range(12):
            customer = self._customer(f"Bulk {index}")
            more |= customer
            self._invoice(customer, self.today - timedelta(days=3), 50)
        self.Profile._lifecycle_prepare_figures(self.company, self.today)
        self.env.flush_all()
        counts = []
        # The first batch warms the caches; the others must cost the same,
        # the larger one creates and classifies five times more customers.
        for partners in (more[:2], self.customers[:2], more[2:]):
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            self.Profile._lifecycle_recompute_partners(
                self.company, self.today, partners.ids
            )
            self.env.flush_all()
            counts.append(self.cr.sql_log_count - start)
        self.assertEqual(counts[1], counts[2], counts)

    def test_recompute_button_on_partner(self):
        customer = self.customers[0]
        customer.with_user(self.manager).action_lifecycle_recompute()
        profile = self._profile(customer)
        self.assertEqual(profile.stage_id, self.stages["new"])
        self.assertEqual(profile.purchase_count, 1)

    def test_run_now_triggers_the_scheduled_job(self):
        cron = self.env.ref("crm_lifecycle.ir_cron_lifecycle_recompute")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        action = self.Run.with_user(self.manager).action_run_now()
        self.assertEqual(action["tag"], "display_notification")
        new = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]) - triggers
        self.assertEqual(len(new), 1)
