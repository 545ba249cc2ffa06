from unittest.mock import patch

from odoo.tests import TransactionCase, tagged

from ..hooks import uninstall_hook
from ..models import account_move
from ..models.account_move import MOVE_INDEX, MOVE_INDEX_SQL


@tagged("post_install", "-at_install")
class TestMoveIndex(TransactionCase):
    def _index(self):
        self.env.cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s", [MOVE_INDEX]
        )
        row = self.env.cr.fetchone()
        return row and row[0]

    def test_index_built_by_a_one_shot_job_and_dropped_at_uninstall(self):
        cron = self.env.ref("crm_lifecycle.ir_cron_lifecycle_build_index")
        self.assertEqual(cron.code, "model._cron_lifecycle_build_index()")
        # Built without blocking invoice writes, for the job's filter.
        self.assertIn("CONCURRENTLY", MOVE_INDEX_SQL)
        self.assertIn("(company_id, commercial_partner_id)", MOVE_INDEX_SQL)
        if not self._index():
            # As the job builds it, minus CONCURRENTLY (not in a transaction).
            self.env.cr.execute(MOVE_INDEX_SQL.replace("CONCURRENTLY ", ""))
        self.assertIn("company_id, commercial_partner_id", self._index())
        self.env.cr.execute("CREATE TABLE crm_lifecycle_work_999999 (a int)")
        uninstall_hook(self.env)
        self.assertFalse(self._index())
        self.env.cr.execute("SELECT to_regclass('crm_lifecycle_work_999999')")
        self.assertIsNone(self.env.cr.fetchone()[0])

    def test_job_builds_outside_its_transaction_then_deactivates(self):
        """The build cannot wait inside the cron's transaction (a concurrent
        build waits for it): the job hands it to a thread with a connection
        of its own, and deactivates itself once the index is valid."""
        Move = self.env["account.move"]
        progress = []
        with (
            patch.object(account_move.threading, "Thread") as thread,
            patch.object(
                type(self.env["ir.cron"]),
                "_notify_progress",
                lambda cron, **kw: progress.append(kw),
            ),
        ):
            self.env.cr.execute(f"DROP INDEX IF EXISTS {MOVE_INDEX}")
            Move._cron_lifecycle_build_index()
            cron = self.env.ref("crm_lifecycle.ir_cron_lifecycle_build_index")
            self.assertEqual(
                thread.call_args.kwargs["args"], (self.env.cr.dbname, cron.id)
            )
            thread.return_value.start.assert_called_once()
            self.assertEqual(progress, [])
            self.env.cr.execute(MOVE_INDEX_SQL.replace("CONCURRENTLY ", ""))
            thread.reset_mock()
            Move._cron_lifecycle_build_index()
            thread.assert_not_called()
        self.assertEqual(progress, [{"done": 1, "remaining": 0, "deactivate": True}])
