import logging

from odoo import api, models

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


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.model
    def _cron_lifecycle_build_index(self):
        """One-shot job after install: build the figures step's covering
        index without blocking invoice writes (``CONCURRENTLY`` needs its
        own autocommit connection, not the install transaction), then
        deactivate itself. The scoring is correct, only slower, without it.
        An invalid index left by an interrupted build is dropped and built
        again."""
        cr = self.env.cr
        cr.execute(
            """SELECT index.indisvalid
                 FROM pg_index index
                 JOIN pg_class class ON class.oid = index.indexrelid
                WHERE class.relname = %s""",
            [MOVE_INDEX],
        )
        row = cr.fetchone()
        if not row or not row[0]:
            with self.env.registry.cursor() as index_cr:
                connection = index_cr._cnx
                connection.autocommit = True
                try:
                    if row:
                        index_cr.execute(f"DROP INDEX CONCURRENTLY {MOVE_INDEX}")
                    _logger.info("Building %s concurrently", MOVE_INDEX)
                    index_cr.execute(MOVE_INDEX_SQL)
                finally:
                    connection.autocommit = False
        self.env["ir.cron"]._notify_progress(done=1, remaining=0, deactivate=True)
