from odoo import fields, models
from odoo.tools import SQL

from .crm_lifecycle_kpi_mixin import PURCHASE_CTES


class CrmLifecycleKpiMonthly(models.Model):
    """Acquisition, activity, churn and win-back per company and month.

    See docs/kpis.md for the definitions; in short, with B the customer
    base at the start of the month (customers who bought before the month,
    less those in a Churned stage then):
    churn rate = churned / B, retention rate = (B - churned) / B.
    """

    _name = "crm.lifecycle.kpi.monthly"
    _inherit = "crm.lifecycle.kpi.mixin"
    _auto = False
    _description = "Lifecycle KPIs per Month"
    _order = "company_id, month desc"
    _rec_name = "month"

    month = fields.Date(readonly=True, help="The first day of the month.")
    new_count = fields.Integer(
        string="New Customers",
        readonly=True,
        help="Customers whose first posted customer invoice is dated in the month.",
    )
    active_count = fields.Integer(
        string="Active Customers",
        readonly=True,
        help="Customers with at least one posted customer invoice dated in "
        "the month (new customers included).",
    )
    churned_count = fields.Integer(
        string="Churned Customers",
        readonly=True,
        help="Customers who entered a stage of kind Churned in the month "
        "(from a stage of another kind, or as their first stage), from the "
        "stage history.",
    )
    won_back_count = fields.Integer(
        string="Won-back Customers",
        readonly=True,
        help="Customers who entered a stage of kind Won back in the month, "
        "from the stage history.",
    )
    base_count = fields.Integer(
        string="Customers at Start",
        readonly=True,
        aggregator="avg",
        help="The customer base at the start of the month: customers whose "
        "first purchase is before the month, less those in a Churned stage "
        "on the first day of the month (every entry into Churned takes one "
        "out, every move out of Churned puts one back). Averaged over months.",
    )
    churn_rate = fields.Float(
        string="Churn Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Churned customers of the month / customers at start of the "
        "month, in percent (empty without customers at start, and left out "
        "of averages). Over several months: the average of the monthly rates.",
    )
    retention_rate = fields.Float(
        string="Retention Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="(Customers at start - churned customers of the month) / "
        "customers at start of the month, in percent (empty without customers "
        "at start, and left out of averages). Over several months: the "
        "average of the monthly rates.",
    )

    def _kpi_query(self):
        return SQL(
            """
            WITH %(purchases)s, new AS (
                SELECT company_id, month, COUNT(*) AS n
                  FROM first_purchase
              GROUP BY company_id, month
            ), active AS (
                SELECT company_id, month, COUNT(*) AS n
                  FROM purchase
              GROUP BY company_id, month
            ), moves AS (
                SELECT company_id, date_trunc('month', date)::date AS month,
                       COUNT(DISTINCT partner_id)
                           FILTER (WHERE to_kind = 'churned'
                                     AND from_kind IS DISTINCT FROM 'churned')
                           AS churned,
                       COUNT(*) FILTER (WHERE to_kind = 'churned'
                                          AND from_kind IS DISTINCT FROM 'churned')
                           AS churn_entries,
                       COUNT(*) FILTER (WHERE from_kind = 'churned'
                                          AND to_kind <> 'churned')
                           AS churn_exits,
                       COUNT(DISTINCT partner_id)
                           FILTER (WHERE to_kind = 'won_back'
                                     AND from_kind IS DISTINCT FROM 'won_back')
                           AS won_back
                  FROM crm_lifecycle_history
              GROUP BY company_id, date_trunc('month', date)
            ), bounds AS (
                SELECT company_id, MIN(month) AS first_month
                  FROM (SELECT company_id, month FROM new
                        UNION ALL
                        SELECT company_id, month FROM moves) AS months
              GROUP BY company_id
            ), months AS (
                SELECT bounds.company_id, series::date AS month
                  FROM bounds,
                       generate_series(
                           bounds.first_month,
                           GREATEST(bounds.first_month,
                                    date_trunc('month', CURRENT_DATE)::date),
                           interval '1 month') AS series
            ), flows AS (
                SELECT months.company_id, months.month,
                       COALESCE(new.n, 0) AS new_count,
                       COALESCE(active.n, 0) AS active_count,
                       COALESCE(moves.churned, 0) AS churned_count,
                       COALESCE(moves.won_back, 0) AS won_back_count,
                       COALESCE(new.n, 0) - COALESCE(moves.churn_entries, 0)
                           + COALESCE(moves.churn_exits, 0) AS net
                  FROM months
             LEFT JOIN new ON new.company_id = months.company_id
                          AND new.month = months.month
             LEFT JOIN active ON active.company_id = months.company_id
                             AND active.month = months.month
             LEFT JOIN moves ON moves.company_id = months.company_id
                            AND moves.month = months.month
            ), based AS (
                SELECT flows.*,
                       GREATEST(COALESCE(SUM(net) OVER (
                           PARTITION BY company_id ORDER BY month
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0),
                           0)::int4 AS base_count
                  FROM flows
            )
            SELECT row_number() OVER (ORDER BY company_id, month) AS id,
                   company_id, month, new_count, active_count, churned_count,
                   won_back_count, base_count,
                   CASE WHEN base_count > 0
                        THEN ROUND(100.0 * churned_count / base_count, 2)
                        END AS churn_rate,
                   CASE WHEN base_count > 0
                        THEN ROUND(100.0 * GREATEST(base_count - churned_count, 0)
                                   / base_count, 2)
                        END AS retention_rate
              FROM based
            """,
            purchases=PURCHASE_CTES,
        )
