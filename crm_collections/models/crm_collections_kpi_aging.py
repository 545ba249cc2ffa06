from odoo import fields, models
from odoo.tools import SQL

from .crm_collections_aging import BUCKETS
from .crm_collections_kpi_monthly import POSITIONS_CTES


class CrmCollectionsKpiAging(models.Model):
    """Receivables by aging bucket as of each month end (today for the
    current month), rebuilt from the journal items and the dates of their
    partial reconciliations: the overdue over time."""

    _name = "crm.collections.kpi.aging"
    _inherit = "crm.lifecycle.kpi.mixin"
    _auto = False
    _description = "Receivables Aging per Month"
    _order = "company_id, month desc, bucket"
    _rec_name = "month"
    _kpi_indexes = ("company_id", "month")

    company_id = fields.Many2one(help="The company of the receivables.")
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    month = fields.Date(readonly=True, help="The first day of the month.")
    collector_id = fields.Many2one(
        comodel_name="res.users",
        readonly=True,
        help="The customer's collector today.",
    )
    bucket = fields.Selection(
        selection=BUCKETS,
        readonly=True,
        help="Days overdue at month end: current (not yet due), 1-30, 31-60, "
        "61-90, over 90.",
    )
    amount = fields.Monetary(
        string="Receivables",
        readonly=True,
        help="Open receivables at month end in the bucket (company currency).",
    )

    def _kpi_query(self):
        return SQL(
            """
            WITH %(positions)s,
            totals AS (
                SELECT company_id, month, collector_id, bucket,
                       SUM(residual) AS amount
                  FROM positions
                 WHERE kind = 'end'
              GROUP BY company_id, month, collector_id, bucket
            )
            SELECT row_number() OVER (ORDER BY t.company_id, t.month, t.bucket,
                                      t.collector_id) AS id,
                   t.company_id, c.currency_id, t.month, t.collector_id,
                   t.bucket, t.amount
              FROM totals t
              JOIN res_company c ON c.id = t.company_id
            """,
            positions=POSITIONS_CTES,
        )
