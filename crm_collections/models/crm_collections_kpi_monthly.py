from odoo import fields, models
from odoo.tools import SQL

from .crm_collections_aging import bucket_sql

# Amount collected within this many days after a reminder (see the dunning KPI).
COLLECTED_WITHIN_DAYS = 30

# The month-end positions of the receivables, shared by the KPI reports.
# ``months``: one row per company and month from its first receivable to
# today, with ``as_of`` (the month's last day, today for the current month)
# and ``opening`` (the day before the month). ``positions``: the residual of
# every receivable journal item open at a date (``kind`` 'end' at as_of,
# 'start' at opening), rebuilt from the partial reconciliations dated up to
# that day, with its aging bucket then and its collector now.
POSITIONS_CTES = SQL(
    """
    rec AS (
        SELECT aml.id, aml.company_id, aml.date, aml.balance,
               COALESCE(aml.date_maturity, aml.date) AS date_maturity,
               rp.commercial_partner_id AS partner_id,
               CASE WHEN aml.reconciled THEN (
                   SELECT MAX(p.max_date) FROM account_partial_reconcile p
                    WHERE p.debit_move_id = aml.id OR p.credit_move_id = aml.id)
               END AS closed_date
          FROM account_move_line aml
          JOIN account_account acc ON acc.id = aml.account_id
     LEFT JOIN res_partner rp ON rp.id = aml.partner_id
         WHERE acc.account_type = 'asset_receivable'
           AND aml.parent_state = 'posted'
    ), months AS (
        SELECT b.company_id, m::date AS month,
               LEAST((m + interval '1 month - 1 day')::date, CURRENT_DATE) AS as_of,
               (m - interval '1 day')::date AS opening
          FROM (SELECT company_id, date_trunc('month', MIN(date)) AS first_month
                  FROM rec GROUP BY company_id) b,
               generate_series(b.first_month, date_trunc('month', CURRENT_DATE),
                               interval '1 month') AS m
    ), dates AS (
        SELECT company_id, month, 'end' AS kind, as_of AS day FROM months
        UNION ALL
        SELECT company_id, month, 'start' AS kind, opening AS day FROM months
    ), positions AS (
        SELECT d.company_id, d.month, d.kind, rec.partner_id,
               ws.user_id AS collector_id,
               %(bucket)s AS bucket,
               rec.balance
                 - COALESCE((SELECT SUM(p.amount)
                               FROM account_partial_reconcile p
                              WHERE p.debit_move_id = rec.id
                                AND p.max_date <= d.day), 0)
                 + COALESCE((SELECT SUM(p.amount)
                               FROM account_partial_reconcile p
                              WHERE p.credit_move_id = rec.id
                                AND p.max_date <= d.day), 0)
                 AS residual
          FROM dates d
          JOIN rec ON rec.company_id = d.company_id
                  AND rec.date <= d.day
                  AND (rec.closed_date IS NULL OR rec.closed_date > d.day)
     LEFT JOIN crm_collections_workspace ws
            ON ws.partner_id = rec.partner_id AND ws.company_id = rec.company_id
    )
    """,
    bucket=bucket_sql(SQL("(d.day - rec.date_maturity)")),
)


class CrmCollectionsKpiMonthly(models.Model):
    """Collections KPIs per company and month, for the whole company (scope
    Company) and per collector (scope Collector). Formulas (docs/admin-guide.md,
    amounts in company currency):

    * DSO = receivables at month end / sales of the 90 days to month end x 90
    * overdue share = overdue receivables at month end / receivables x 100
    * CEI = (opening receivables + sales of the month - closing receivables)
      / (opening receivables + sales of the month - closing current
      receivables) x 100
    * promises kept = promises kept / promises settled (kept or broken) of
      the promised month x 100
    * write-offs = receivables reconciled in the month against a journal
      entry of a miscellaneous journal that books an expense account
    """

    _name = "crm.collections.kpi.monthly"
    _inherit = "crm.lifecycle.kpi.mixin"
    _auto = False
    _description = "Collections KPIs per Month"
    _order = "company_id, month desc, collector_id"
    _rec_name = "month"
    _kpi_indexes = ("company_id", "month")

    company_id = fields.Many2one(help="The company of the receivables.")
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    month = fields.Date(readonly=True, help="The first day of the month.")
    scope = fields.Selection(
        selection=[("company", "Company"), ("collector", "Collector")],
        readonly=True,
        help="Company: one row per month for the whole company. Collector: "
        "one row per month and collector (the customer's collector today).",
    )
    collector_id = fields.Many2one(comodel_name="res.users", readonly=True)
    receivable_start = fields.Monetary(
        string="Opening Receivables",
        readonly=True,
        help="Receivables on the day before the month.",
    )
    receivable_end = fields.Monetary(
        string="Closing Receivables",
        readonly=True,
        help="Receivables at month end (today for the current month).",
    )
    current_end = fields.Monetary(
        string="Closing Current Receivables",
        readonly=True,
        help="Receivables not yet overdue at month end.",
    )
    overdue_end = fields.Monetary(
        string="Closing Overdue",
        readonly=True,
        help="Overdue receivables at month end.",
    )
    sales = fields.Monetary(
        string="Credit Sales",
        readonly=True,
        help="Customer invoices less credit notes dated in the month, taxes "
        "included (their receivable amounts).",
    )
    sales_90d = fields.Monetary(
        string="Sales of 90 Days",
        readonly=True,
        aggregator="avg",
        help="Credit sales of the 90 days up to month end.",
    )
    dso = fields.Float(
        string="DSO (Days)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days sales outstanding: closing receivables / sales of the 90 "
        "days to month end x 90.",
    )
    overdue_share = fields.Float(
        string="Overdue Share (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Closing overdue / closing receivables x 100.",
    )
    cei = fields.Float(
        string="CEI (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Collection effectiveness index: (opening receivables + sales - "
        "closing receivables) / (opening receivables + sales - closing current "
        "receivables) x 100.",
    )
    promise_kept_count = fields.Integer(
        string="Promises Kept", readonly=True, help="Promises dated in the month kept."
    )
    promise_broken_count = fields.Integer(
        string="Promises Broken",
        readonly=True,
        help="Promises dated in the month broken.",
    )
    promise_kept_rate = fields.Float(
        string="Promises Kept (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Kept / (kept + broken) x 100 of the promises dated in the month.",
    )
    write_off = fields.Monetary(
        string="Write-offs",
        readonly=True,
        help="Receivables reconciled in the month against a miscellaneous "
        "journal entry booking an expense account (a bad-debt write-off).",
    )

    def _kpi_query(self):
        return SQL(
            """
            WITH %(positions)s,
            sale AS (
                SELECT aml.company_id, aml.date, aml.balance,
                       rp.commercial_partner_id AS partner_id
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN account_move move ON move.id = aml.move_id
             LEFT JOIN res_partner rp ON rp.id = aml.partner_id
                 WHERE acc.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND move.move_type IN ('out_invoice', 'out_refund')
            ), write_off AS (
                SELECT debit.company_id, p.max_date AS date, p.amount,
                       rp.commercial_partner_id AS partner_id
                  FROM account_partial_reconcile p
                  JOIN account_move_line debit ON debit.id = p.debit_move_id
                  JOIN account_account dacc ON dacc.id = debit.account_id
                  JOIN account_move_line credit ON credit.id = p.credit_move_id
                  JOIN account_journal j ON j.id = credit.journal_id
             LEFT JOIN res_partner rp ON rp.id = debit.partner_id
                 WHERE dacc.account_type = 'asset_receivable'
                   AND debit.parent_state = 'posted'
                   AND j.type = 'general'
                   AND EXISTS (
                       SELECT 1 FROM account_move_line ex
                         JOIN account_account eacc ON eacc.id = ex.account_id
                        WHERE ex.move_id = credit.move_id
                          AND eacc.account_type IN ('expense', 'expense_direct_cost'))
            ), facts AS (
                SELECT company_id, month, collector_id,
                       CASE WHEN kind = 'start' THEN residual END AS receivable_start,
                       CASE WHEN kind = 'end' THEN residual END AS receivable_end,
                       CASE WHEN kind = 'end' AND bucket = 'current'
                            THEN residual END AS current_end,
                       CASE WHEN kind = 'end' AND bucket != 'current'
                            THEN residual END AS overdue_end,
                       NULL::numeric AS sales, NULL::numeric AS sales_90d,
                       NULL::int AS kept, NULL::int AS broken,
                       NULL::numeric AS write_off
                  FROM positions
                UNION ALL
                SELECT m.company_id, m.month, ws.user_id, NULL, NULL, NULL, NULL,
                       CASE WHEN s.date >= m.month THEN s.balance END,
                       s.balance, NULL, NULL, NULL
                  FROM months m
                  JOIN sale s ON s.company_id = m.company_id
                             AND s.date <= m.as_of
                             AND s.date > m.as_of - 90
             LEFT JOIN crm_collections_workspace ws
                    ON ws.partner_id = s.partner_id AND ws.company_id = s.company_id
                UNION ALL
                SELECT pr.company_id, date_trunc('month', pr.date)::date, ws.user_id,
                       NULL, NULL, NULL, NULL, NULL, NULL,
                       (pr.state = 'kept')::int, (pr.state = 'broken')::int, NULL
                  FROM crm_collections_promise pr
             LEFT JOIN crm_collections_workspace ws
                    ON ws.partner_id = pr.partner_id AND ws.company_id = pr.company_id
                 WHERE pr.state IN ('kept', 'broken')
                UNION ALL
                SELECT w.company_id, date_trunc('month', w.date)::date, ws.user_id,
                       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, w.amount
                  FROM write_off w
             LEFT JOIN crm_collections_workspace ws
                    ON ws.partner_id = w.partner_id AND ws.company_id = w.company_id
            ), totals AS (
                SELECT company_id, month, collector_id,
                       CASE WHEN GROUPING(collector_id) = 1 THEN 'company'
                            ELSE 'collector' END AS scope,
                       COALESCE(SUM(receivable_start), 0) AS receivable_start,
                       COALESCE(SUM(receivable_end), 0) AS receivable_end,
                       COALESCE(SUM(current_end), 0) AS current_end,
                       COALESCE(SUM(overdue_end), 0) AS overdue_end,
                       COALESCE(SUM(sales), 0) AS sales,
                       COALESCE(SUM(sales_90d), 0) AS sales_90d,
                       COALESCE(SUM(kept), 0) AS kept,
                       COALESCE(SUM(broken), 0) AS broken,
                       COALESCE(SUM(write_off), 0) AS write_off
                  FROM facts
              GROUP BY GROUPING SETS ((company_id, month),
                                      (company_id, month, collector_id))
            )
            SELECT row_number() OVER (ORDER BY t.company_id, t.month, t.scope,
                                      t.collector_id) AS id,
                   t.company_id, c.currency_id, t.month, t.scope,
                   t.collector_id, t.receivable_start, t.receivable_end,
                   t.current_end, t.overdue_end, t.sales, t.sales_90d,
                   CASE WHEN t.sales_90d > 0
                        THEN ROUND(t.receivable_end / t.sales_90d * 90, 1) END
                       AS dso,
                   CASE WHEN t.receivable_end > 0
                        THEN ROUND(100 * t.overdue_end / t.receivable_end, 2) END
                       AS overdue_share,
                   CASE WHEN t.receivable_start + t.sales - t.current_end > 0
                        THEN ROUND(100 * (t.receivable_start + t.sales
                                          - t.receivable_end)
                                   / (t.receivable_start + t.sales
                                      - t.current_end), 2) END
                       AS cei,
                   t.kept::int4 AS promise_kept_count,
                   t.broken::int4 AS promise_broken_count,
                   CASE WHEN t.kept + t.broken > 0
                        THEN ROUND(100.0 * t.kept / (t.kept + t.broken), 2) END
                       AS promise_kept_rate,
                   t.write_off
              FROM totals t
              JOIN res_company c ON c.id = t.company_id
             WHERE t.company_id IS NOT NULL AND t.month IS NOT NULL
            """,
            positions=POSITIONS_CTES,
        )
