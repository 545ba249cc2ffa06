from odoo import fields, models
from odoo.tools import SQL

from .crm_lifecycle_kpi_mixin import ROOT_COMPANY
from .crm_lifecycle_kpi_value import loyal_condition


class CrmLifecycleKpiCategory(models.Model):
    """What loyal and other customers buy: invoiced revenue, quantity and
    customers per product category, split by the customer's loyal flag
    (today's stage and RFM segment)."""

    _name = "crm.lifecycle.kpi.category"
    _inherit = "crm.lifecycle.kpi.mixin"
    _auto = False
    _description = "Lifecycle Purchases by Category"
    _order = "company_id, revenue desc, id"
    _rec_name = "categ_id"

    categ_id = fields.Many2one(
        comodel_name="product.category", string="Product Category", readonly=True
    )
    loyal = fields.Boolean(
        readonly=True,
        help="The customer is in a stage of kind Loyal, or in the RFM "
        "segment Champions or Loyal, at the last scoring.",
    )
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    revenue = fields.Monetary(
        readonly=True,
        help="Untaxed invoiced revenue of the category's products, less "
        "refunds, in company currency, all time.",
    )
    revenue_12m = fields.Monetary(
        string="Revenue 12 Months",
        readonly=True,
        help="The same over the last 12 months.",
    )
    quantity = fields.Float(
        readonly=True, help="Quantity invoiced, less quantity refunded."
    )
    customer_count = fields.Integer(
        string="Customers",
        readonly=True,
        help="Customers who were invoiced products of the category. A "
        "customer buying in two categories counts in each: totals over "
        "categories add them up.",
    )

    def _kpi_query(self):
        return SQL(
            """
            WITH lines AS (
                SELECT %(root)s AS company_id,
                       move.commercial_partner_id AS partner_id,
                       template.categ_id,
                       -line.balance AS revenue,
                       CASE WHEN move.invoice_date
                                 > CURRENT_DATE - interval '1 year'
                            THEN -line.balance ELSE 0 END AS revenue_12m,
                       CASE WHEN move.move_type = 'out_refund'
                            THEN -line.quantity ELSE line.quantity END
                           AS quantity
                  FROM account_move_line line
                  JOIN account_move move ON move.id = line.move_id
                  JOIN res_company c ON c.id = move.company_id
                  JOIN product_product product ON product.id = line.product_id
                  JOIN product_template template
                    ON template.id = product.product_tmpl_id
                 WHERE move.state = 'posted'
                   AND move.move_type IN ('out_invoice', 'out_refund')
                   AND line.display_type = 'product'
                   AND move.commercial_partner_id IS NOT NULL
            )
            SELECT row_number() OVER (
                       ORDER BY lines.company_id, lines.categ_id,
                                %(loyal)s) AS id,
                   lines.company_id, lines.categ_id,
                   %(loyal)s AS loyal,
                   MIN(company.currency_id) AS currency_id,
                   SUM(lines.revenue) AS revenue,
                   SUM(lines.revenue_12m) AS revenue_12m,
                   SUM(lines.quantity) AS quantity,
                   COUNT(DISTINCT lines.partner_id) AS customer_count
              FROM lines
              JOIN res_company company ON company.id = lines.company_id
         LEFT JOIN crm_lifecycle_profile profile
                ON profile.company_id = lines.company_id
               AND profile.partner_id = lines.partner_id
          GROUP BY lines.company_id, lines.categ_id, %(loyal)s
            """,
            root=ROOT_COMPANY,
            loyal=loyal_condition("profile", SQL("profile.stage_kind")),
        )
