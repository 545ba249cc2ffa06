# One step per file, each inheriting the pipeline, by design (see
# docs/architecture.md): a step is found, read and replaced on its own.
# pylint: disable=consider-merging-classes-inherited
from dateutil.relativedelta import relativedelta

from odoo import api, models
from odoo.tools import SQL

from .crm_lifecycle_scoring import STEP_SEQUENCES, ScoringStep

FIGURE_COLUMNS = {
    "first_purchase_date": "date",
    "last_purchase_date": "date",
    "purchase_count": "int4",
    "purchase_count_12m": "int4",
    "invoice_count": "int4",
    "revenue_total": "numeric",
    "revenue_12m": "numeric",
    "avg_order_value": "numeric",
    "avg_interval_days": "numeric",
    "lifespan_days": "int4",
    "has_open_opportunity": "bool",
    # the customer objects to profiling: the scoring steps give it no scores
    "no_profiling": "bool",
}


class CrmLifecycleScoring(models.AbstractModel):
    """Step ``figures``: purchase figures from posted invoices and refunds.

    The first step: it also decides who is scored (the customers with
    figures, and every partner that already has a profile in the company or,
    for a scoring of some partners, those partners).
    """

    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _scoring_steps(self):
        return super()._scoring_steps() + [
            ScoringStep("figures", STEP_SEQUENCES["figures"], FIGURE_COLUMNS)
        ]

    @api.model
    def _scoring_select_figures(self, ctx, source):
        """The population and its figures (the first step: ``source`` is
        ``None``)."""
        return self._lifecycle_figures_query(ctx)

    @api.model
    def _lifecycle_figures_query(self, ctx):
        """SQL selecting the purchase figures as of ``ctx.date``, one row per
        commercial partner: ``partner_id`` and :data:`FIGURE_COLUMNS`.

        Customers are the commercial partners with posted customer invoices
        or refunds dated up to that day in the root company or its branches,
        or with an open opportunity; partners that already have a profile are
        scored too (a full scoring). Amounts are untaxed, in company
        currency; refunds reduce revenue and are not purchases. A scoring of
        some partners reads only theirs, and returns a row for each of them.
        Override to count more (e.g. sales orders): keep the columns.
        """
        if ctx.full:
            only = only_lead = SQL("")
            others = SQL(
                "SELECT partner_id FROM crm_lifecycle_profile WHERE company_id = %s",
                ctx.company.id,
            )
        else:
            others = SQL("SELECT unnest(%s::int4[]) AS partner_id", ctx.partner_ids)
            only = SQL("AND commercial_partner_id = ANY(%s)", ctx.partner_ids)
            only_lead = SQL(
                "AND partner.commercial_partner_id = ANY(%s)", ctx.partner_ids
            )
        company = ctx.company
        return SQL(
            """
            WITH invoiced AS (
                SELECT commercial_partner_id AS partner_id,
                       MIN(invoice_date) FILTER (WHERE move_type = 'out_invoice')
                           AS first_purchase_date,
                       MAX(invoice_date) FILTER (WHERE move_type = 'out_invoice')
                           AS last_purchase_date,
                       COUNT(DISTINCT invoice_date)
                           FILTER (WHERE move_type = 'out_invoice')
                           AS purchase_count,
                       COUNT(DISTINCT invoice_date)
                           FILTER (WHERE move_type = 'out_invoice'
                                     AND invoice_date > %(since)s)
                           AS purchase_count_12m,
                       COUNT(*) FILTER (WHERE move_type = 'out_invoice')
                           AS invoice_count,
                       ROUND(COALESCE(SUM(amount_untaxed_signed), 0), %(digits)s)
                           AS revenue_total,
                       ROUND(COALESCE(SUM(amount_untaxed_signed)
                                 FILTER (WHERE invoice_date > %(since)s), 0),
                             %(digits)s) AS revenue_12m
                  FROM account_move
                 WHERE %(company_filter)s
                   AND state = 'posted'
                   AND move_type IN ('out_invoice', 'out_refund')
                   AND commercial_partner_id IS NOT NULL
                   AND invoice_date <= %(today)s
                   %(only)s
              GROUP BY commercial_partner_id
            ), prospects AS (
                SELECT DISTINCT partner.commercial_partner_id AS partner_id
                  FROM crm_lead lead
                  JOIN res_partner partner ON partner.id = lead.partner_id
                 WHERE lead.company_id = ANY(%(companies)s)
                   AND lead.type = 'opportunity'
                   AND lead.active
                   AND lead.probability < 100
                   %(only_lead)s
            ), others AS (%(others)s)
            SELECT COALESCE(invoiced.partner_id, prospects.partner_id,
                            others.partner_id),
                   invoiced.first_purchase_date,
                   invoiced.last_purchase_date,
                   COALESCE(invoiced.purchase_count, 0),
                   COALESCE(invoiced.purchase_count_12m, 0),
                   COALESCE(invoiced.invoice_count, 0),
                   COALESCE(invoiced.revenue_total, 0),
                   COALESCE(invoiced.revenue_12m, 0),
                   CASE WHEN invoiced.invoice_count > 0
                        THEN ROUND(invoiced.revenue_total / invoiced.invoice_count,
                                   %(digits)s)
                        ELSE 0 END,
                   CASE WHEN invoiced.purchase_count > 1
                        THEN ROUND((invoiced.last_purchase_date
                                    - invoiced.first_purchase_date)::numeric
                                   / (invoiced.purchase_count - 1), 1)
                        ELSE 0 END,
                   COALESCE(invoiced.last_purchase_date
                            - invoiced.first_purchase_date, 0),
                   prospects.partner_id IS NOT NULL,
                   COALESCE(partner.lifecycle_no_profiling, FALSE)
              FROM invoiced
              FULL JOIN prospects ON prospects.partner_id = invoiced.partner_id
              FULL JOIN others
                     ON others.partner_id = COALESCE(invoiced.partner_id,
                                                     prospects.partner_id)
              LEFT JOIN res_partner partner
                     ON partner.id = COALESCE(invoiced.partner_id,
                                              prospects.partner_id,
                                              others.partner_id)
            """,
            companies=ctx.company_ids,
            # one company (no branches): an equality lets the covering index
            # feed the grouping in partner order
            company_filter=SQL("company_id = %s", ctx.company_ids[0])
            if len(ctx.company_ids) == 1
            else SQL("company_id = ANY(%s)", ctx.company_ids),
            today=ctx.date,
            since=ctx.date - relativedelta(years=1),
            digits=company.currency_id.decimal_places,
            only=only,
            only_lead=only_lead,
            others=others,
        )
