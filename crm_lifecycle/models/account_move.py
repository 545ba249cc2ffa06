import logging
import threading
from contextlib import closing

from odoo import api, models, sql_db
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

MOVE_INDEX = "account_move_crm_lifecycle_index"
# Covering index of the figures step: posted customer invoices and refunds of
# one company, by customer.
MOVE_INDEX_SQL = f"""
    CREATE INDEX CONCURRENTLY IF NOT EXISTS {MOVE_INDEX}
        ON account_move (company_id, commercial_partner_id)
        INCLUDE (invoice_date, move_type, amount_untaxed_signed)
     WHERE state = 'posted' AND move_type IN ('out_invoice', 'out_refund')
"""


def index_state(cr):
    """``None`` without the index, else whether it is valid (a concurrent
    build that was interrupted leaves an invalid index)."""
    cr.execute(
        """SELECT index.indisvalid
             FROM pg_index index
             JOIN pg_class class ON class.oid = index.indexrelid
            WHERE class.relname = %s""",
        [MOVE_INDEX],
    )
    row = cr.fetchone()
    return row[0] if row else None


def build_move_index(dbname, cron_id=None):
    """Build the index ``CONCURRENTLY`` (invoice writes go on meanwhile) on
    an autocommit connection of its own, then deactivate the one-shot job
    ``cron_id``. It waits for every transaction that holds an older snapshot
    to end, the caller's included: call it from outside any open transaction
    on ``dbname``."""
    with closing(sql_db.db_connect(dbname).cursor()) as cr:
        connection = cr._cnx
        connection.autocommit = True
        try:
            state = index_state(cr)
            if state:
                return
            if state is False:
                cr.execute(
                    SQL("DROP INDEX CONCURRENTLY %s", SQL.identifier(MOVE_INDEX))
                )
            _logger.info("Building %s concurrently", MOVE_INDEX)
            cr.execute(MOVE_INDEX_SQL)
            _logger.info("Built %s", MOVE_INDEX)
            if cron_id:
                cr.execute("UPDATE ir_cron SET active = FALSE WHERE id = %s", [cron_id])
        finally:
            connection.autocommit = False


def _build_move_index_logged(dbname, cron_id):
    try:
        build_move_index(dbname, cron_id)
    except Exception:
        # A failed build leaves no valid index: the daily job tries again.
        _logger.exception("Building %s failed; the job will try again", MOVE_INDEX)


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _cron_lifecycle_build_index(self):
        """Job after install: build the figures step's covering index without
        blocking invoice writes, and deactivate itself once it exists.

        ``CONCURRENTLY`` cannot run in the install transaction, nor in the
        cron's: it waits for every older snapshot to end, and the cron worker
        keeps a transaction open on its job while the job runs. So the job
        starts the build in a thread with a connection of its own, which
        proceeds once the job's transaction is over and deactivates the job
        when the index is built; should the thread die first, the next run
        tries again (an interrupted build is dropped and built again) or, on
        a valid index, deactivates the job. The scoring is correct, only
        slower, without the index.
        """
        if index_state(self.env.cr):
            self.env["ir.cron"]._notify_progress(done=1, remaining=0, deactivate=True)
            return
        cron = self.env.ref(
            "crm_lifecycle.ir_cron_lifecycle_build_index", raise_if_not_found=False
        )
        threading.Thread(
            target=_build_move_index_logged,
            args=(self.env.cr.dbname, cron.id if cron else None),
            name=f"{MOVE_INDEX} build",
        ).start()
