from odoo import fields, models
from odoo.tools import SQL
from odoo.tools.sql import drop_view_if_exists

# Aging buckets by days overdue (the day after the due date is day 1):
# current <= 0 (not yet due, or due today), 1-30, 31-60, 61-90, over 90 (>= 91).
BUCKETS = [
    ("current", "Current"),
    ("1_30", "1-30 Days"),
    ("31_60", "31-60 Days"),
    ("61_90", "61-90 Days"),
    ("over_90", "Over 90 Days"),
]


def bucket_sql(days):
    """SQL: the bucket key of a number of ``days`` overdue (see BUCKETS)."""
    return SQL(
        """CASE WHEN %(d)s <= 0 THEN 'current'
                WHEN %(d)s <= 30 THEN '1_30'
                WHEN %(d)s <= 60 THEN '31_60'
                WHEN %(d)s <= 90 THEN '61_90'
                ELSE 'over_90' END""",
        d=days,
    )


def open_items_sql(date, companies=None):
    """SQL: the open receivable items as of today (their residual now) aged
    at ``date`` (an SQL expression or a date): one row per posted journal
    item on a receivable account with a residual, with the commercial
    partner, company, salesperson, currencies, due date, days overdue,
    bucket and residuals. Credits (unreconciled payments, credit notes)
    have negative residuals and age by their own due date."""
    days = SQL("(%s::date - COALESCE(aml.date_maturity, aml.date))", date)
    return SQL(
        """
        SELECT aml.id,
               rp.commercial_partner_id AS partner_id,
               aml.company_id,
               move.invoice_user_id AS user_id,
               aml.move_id,
               aml.currency_id,
               aml.company_currency_id,
               COALESCE(aml.date_maturity, aml.date) AS date_maturity,
               GREATEST(%(days)s, 0) AS days_overdue,
               %(bucket)s AS bucket,
               aml.amount_residual,
               aml.amount_residual_currency
          FROM account_move_line aml
          JOIN account_account acc ON acc.id = aml.account_id
          JOIN account_move move ON move.id = aml.move_id
          JOIN res_partner rp ON rp.id = aml.partner_id
         WHERE acc.account_type = 'asset_receivable'
           AND aml.parent_state = 'posted'
           AND aml.amount_residual != 0
           AND %(company_filter)s
        """,
        days=days,
        bucket=bucket_sql(days),
        company_filter=SQL("aml.company_id = ANY(%s)", list(companies))
        if companies
        else SQL("TRUE"),
    )


class CrmCollectionsAging(models.Model):
    """Open receivables by aging bucket, live (a plain SQL view aged at
    today's date): one row per open receivable journal item."""

    _name = "crm.collections.aging"
    _description = "Receivables Aging"
    _auto = False
    _order = "days_overdue desc, id"
    _rec_name = "move_id"
    # flushed before the view is read
    _depends = {
        "account.move.line": [
            "account_id",
            "parent_state",
            "amount_residual",
            "amount_residual_currency",
            "partner_id",
            "company_id",
            "move_id",
            "currency_id",
            "company_currency_id",
            "date_maturity",
            "date",
        ],
        "account.move": ["invoice_user_id"],
        "account.account": ["account_type"],
        "res.partner": ["commercial_partner_id"],
    }

    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        readonly=True,
        help="The commercial entity of the journal item's partner.",
    )
    company_id = fields.Many2one(comodel_name="res.company", readonly=True)
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Salesperson",
        readonly=True,
        help="The salesperson of the invoice.",
    )
    move_id = fields.Many2one(
        comodel_name="account.move", string="Journal Entry", readonly=True
    )
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    company_currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(
        readonly=True,
        aggregator="max",
        help="Days since the due date (0 when not yet due or due today).",
    )
    bucket = fields.Selection(
        selection=BUCKETS,
        readonly=True,
        help="Current: not yet due or due today; then 1-30, 31-60, 61-90 "
        "and over 90 (91 or more) days overdue.",
    )
    amount_residual = fields.Monetary(
        string="Amount Due",
        currency_field="company_currency_id",
        readonly=True,
        help="The open amount in the company's currency.",
    )
    amount_residual_currency = fields.Monetary(
        string="Amount Due in Currency",
        currency_field="currency_id",
        readonly=True,
        help="The open amount in the journal item's currency.",
    )

    def init(self):
        drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                open_items_sql(SQL("CURRENT_DATE")),
            )
        )
