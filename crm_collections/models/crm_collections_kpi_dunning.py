from odoo import fields, models
from odoo.tools import SQL

from .crm_collections_kpi_monthly import COLLECTED_WITHIN_DAYS


class CrmCollectionsKpiDunning(models.Model):
    """What each dunning level brings in: per company, month of the reminder,
    level and collector, the amount reminded and the amount collected within
    ``COLLECTED_WITHIN_DAYS`` days after the reminder (payments, credit notes
    and other reconciliations of the reminded invoices dated after the
    reminder's date and at most that many days later)."""

    _name = "crm.collections.kpi.dunning"
    _inherit = "crm.lifecycle.kpi.mixin"
    _auto = False
    _description = "Collections after Dunning"
    _order = "company_id, month desc, level_id"
    _rec_name = "month"
    _kpi_indexes = ("company_id", "month")

    company_id = fields.Many2one(help="The company of the reminders.")
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    month = fields.Date(readonly=True, help="The first day of the reminders' month.")
    level_id = fields.Many2one(
        comodel_name="crm.collections.level", string="Dunning Level", readonly=True
    )
    collector_id = fields.Many2one(
        comodel_name="res.users",
        readonly=True,
        help="The customer's collector today.",
    )
    reminder_count = fields.Integer(
        string="Reminded Invoices", readonly=True, help="Invoices reminded (sent)."
    )
    amount_reminded = fields.Monetary(
        readonly=True, help="The overdue amount of the reminded invoices."
    )
    amount_collected = fields.Monetary(
        string="Collected within 30 Days",
        readonly=True,
        help="Amount of the reminded invoices reconciled in the 30 days after "
        "the reminder.",
    )
    collected_rate = fields.Float(
        string="Collected within 30 Days (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Collected within 30 days / reminded x 100.",
    )

    def _kpi_query(self):
        return SQL(
            """
            WITH reminded AS (
                SELECT line.company_id, line.partner_id, line.date,
                       li.level_id, li.amount_residual,
                       (SELECT COALESCE(SUM(p.amount), 0)
                          FROM account_move_line aml
                          JOIN account_account acc ON acc.id = aml.account_id
                          JOIN account_partial_reconcile p
                            ON p.debit_move_id = aml.id
                         WHERE aml.move_id = li.move_id
                           AND acc.account_type = 'asset_receivable'
                           AND p.max_date > line.date
                           AND p.max_date <= line.date + %(days)s) AS collected
                  FROM crm_collections_line_invoice li
                  JOIN crm_collections_line line ON line.id = li.line_id
                 WHERE line.state = 'sent'
                   AND li.skip_reason IS NULL
            ), totals AS (
                SELECT r.company_id, date_trunc('month', r.date)::date AS month,
                       r.level_id, ws.user_id AS collector_id,
                       COUNT(*) AS reminder_count,
                       SUM(r.amount_residual) AS amount_reminded,
                       SUM(LEAST(r.collected, r.amount_residual)) AS amount_collected
                  FROM reminded r
             LEFT JOIN crm_collections_workspace ws
                    ON ws.partner_id = r.partner_id AND ws.company_id = r.company_id
              GROUP BY r.company_id, date_trunc('month', r.date), r.level_id,
                       ws.user_id
            )
            SELECT row_number() OVER (ORDER BY t.company_id, t.month, t.level_id,
                                      t.collector_id) AS id,
                   t.company_id, c.currency_id, t.month, t.level_id,
                   t.collector_id, t.reminder_count::int4 AS reminder_count,
                   t.amount_reminded, t.amount_collected,
                   CASE WHEN t.amount_reminded > 0
                        THEN ROUND(100 * t.amount_collected / t.amount_reminded, 2)
                        END AS collected_rate
              FROM totals t
              JOIN res_company c ON c.id = t.company_id
            """,
            days=COLLECTED_WITHIN_DAYS,
        )
