from odoo import fields, models
from odoo.tools import SQL

from .crm_lifecycle_kpi_mixin import PURCHASE_CTES, month_number


class CrmLifecycleKpiCohort(models.Model):
    """Cohort retention: customers by month of first purchase (the cohort)
    and months since, with how many of them bought in that month. In a
    pivot with cohorts as rows and months since as columns it is a
    triangle: a cohort has a cell per month up to the current month."""

    _name = "crm.lifecycle.kpi.cohort"
    _inherit = "crm.lifecycle.kpi.mixin"
    _auto = False
    _description = "Lifecycle Cohort Retention"
    _order = "company_id, cohort_month desc, months_since"
    _rec_name = "cohort_month"

    cohort_month = fields.Date(
        string="Cohort",
        readonly=True,
        help="The month of the customers' first posted customer invoice.",
    )
    months_since = fields.Integer(
        readonly=True,
        aggregator=False,
        help="Months between the cohort month and the month counted (0: the "
        "month of the first purchase).",
    )
    cohort_size = fields.Integer(
        string="Cohort Customers",
        readonly=True,
        aggregator="max",
        help="Customers of the cohort (who first bought in the cohort month).",
    )
    active_count = fields.Integer(
        string="Active Customers",
        readonly=True,
        help="Customers of the cohort with a posted customer invoice dated in "
        "the month counted.",
    )
    retention = fields.Float(
        string="Retention (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Active customers / cohort customers, in percent (100 in month "
        "0). Over several cells: the average of their percentages.",
    )

    def _kpi_query(self):
        return SQL(
            """
            WITH %(purchases)s, cohort AS (
                SELECT company_id, month AS cohort_month, COUNT(*) AS size
                  FROM first_purchase
              GROUP BY company_id, month
            ), activity AS (
                SELECT purchase.company_id, first_purchase.month AS cohort_month,
                       %(purchase_n)s - %(first_n)s AS months_since,
                       COUNT(*) AS n
                  FROM purchase
                  JOIN first_purchase
                    ON first_purchase.company_id = purchase.company_id
                   AND first_purchase.partner_id = purchase.partner_id
              GROUP BY 1, 2, 3
            ), cells AS (
                SELECT cohort.company_id, cohort.cohort_month, cohort.size,
                       series AS months_since
                  FROM cohort,
                       generate_series(
                           0,
                           GREATEST(%(today_n)s - %(cohort_n)s,
                                    (SELECT MAX(months_since) FROM activity
                                      WHERE activity.company_id = cohort.company_id
                                        AND activity.cohort_month
                                            = cohort.cohort_month))) AS series
            )
            SELECT row_number() OVER (
                       ORDER BY cells.company_id, cells.cohort_month,
                                cells.months_since) AS id,
                   cells.company_id, cells.cohort_month, cells.months_since,
                   cells.size AS cohort_size,
                   COALESCE(activity.n, 0) AS active_count,
                   ROUND(100.0 * COALESCE(activity.n, 0) / cells.size, 1)
                       AS retention
              FROM cells
         LEFT JOIN activity
                ON activity.company_id = cells.company_id
               AND activity.cohort_month = cells.cohort_month
               AND activity.months_since = cells.months_since
            """,
            purchases=PURCHASE_CTES,
            purchase_n=month_number(SQL("purchase.month")),
            first_n=month_number(SQL("first_purchase.month")),
            today_n=month_number(SQL("CURRENT_DATE")),
            cohort_n=month_number(SQL("cohort.cohort_month")),
        )
