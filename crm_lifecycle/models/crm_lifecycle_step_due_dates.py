# One step per file, each inheriting the pipeline, by design (see
# docs/architecture.md): a step is found, read and replaced on its own.
# pylint: disable=consider-merging-classes-inherited
from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from .crm_lifecycle_scoring import STEP_SEQUENCES, ScoringStep

# Decided in SQL; ``ownership_due_date`` is a working column only (the end of
# the usual ownership period, read by the repurchase due date).
DUE_SQL_COLUMNS = {
    "next_anniversary_date": "date",
    "service_due_date": "date",
    "ownership_due_date": "date",
}
# Decided per batch in Python: it reads the value step's expected next
# purchase, itself decided in Python.
DUE_PYTHON_COLUMNS = {"repurchase_due_date": "date"}


def pick_due_date(dates, today):
    """The due date among ``dates`` (``None`` ignored): the earliest on or
    after ``today``; when all are past, the latest of them. Mirrors
    :meth:`CrmLifecycleScoring._lifecycle_pick_due_sql`."""
    dates = [day for day in dates if day]
    coming = [day for day in dates if day >= today]
    if coming:
        return min(coming)
    return max(dates, default=None)


class CrmLifecycleScoring(models.AbstractModel):
    """Step ``due_dates``: the dates the contact playbooks fire on.

    * ``next_anniversary_date``: the next anniversary of the first purchase
      on or after the scoring date (the first one at least a year after it);
    * ``service_due_date``: for each product category with a service
      interval (``product.category.lifecycle_service_days``), the last
      purchase of a product of it plus that interval;
    * ``repurchase_due_date``: the expected next purchase (value step) and,
      for each category with an ownership period
      (``lifecycle_ownership_days``), the last purchase of it plus that
      period, each minus the company's lead days.

    Where a customer has several candidate dates, the due date is the
    earliest one on or after the scoring date, or the latest one when all
    are past (:func:`pick_due_date`). Categories count exactly (not their
    sub-categories); lines of posted customer invoices dated up to the
    scoring date count.
    """

    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _scoring_steps(self):
        return super()._scoring_steps() + [
            ScoringStep(
                "due_dates",
                STEP_SEQUENCES["due_dates"],
                columns={**DUE_SQL_COLUMNS, **DUE_PYTHON_COLUMNS},
                python_columns=tuple(DUE_PYTHON_COLUMNS),
                reads=("first_purchase_date", "next_purchase_date"),
            )
        ]

    @api.model
    def _scoring_flush(self):
        result = super()._scoring_flush()
        self.env["account.move.line"].flush_model(
            ["move_id", "product_id", "display_type"]
        )
        self.env["product.product"].flush_model(["product_tmpl_id"])
        self.env["product.template"].flush_model(["categ_id"])
        self.env["product.category"].flush_model(
            ["lifecycle_service_days", "lifecycle_ownership_days"]
        )
        return result

    @api.model
    def _lifecycle_pick_due_sql(self, dates, today):
        """SQL of :func:`pick_due_date` over the SQL expressions ``dates``."""
        return SQL(
            "COALESCE(LEAST(%(coming)s), GREATEST(%(all)s))",
            coming=SQL(", ").join(
                SQL("CASE WHEN %s >= %s THEN %s END", day, today, day) for day in dates
            ),
            all=SQL(", ").join(dates),
        )

    @api.model
    def _lifecycle_repurchase_lead_days(self, company):
        return company.lifecycle_repurchase_lead_days or 0

    @api.model
    def _lifecycle_category_due_query(self, ctx):
        """SQL: ``partner_id``, the service due date and the ownership due
        date of every customer who bought a product of a category with a
        service interval or an ownership period."""
        only = (
            SQL("AND move.commercial_partner_id = ANY(%s)", ctx.partner_ids)
            if not ctx.full
            else SQL("")
        )
        today = SQL("%s::date", ctx.date)
        return SQL(
            """
            SELECT partner_id,
                   COALESCE(MIN(service_due)
                                FILTER (WHERE service_due >= %(today)s),
                            MAX(service_due)),
                   COALESCE(MIN(ownership_due)
                                FILTER (WHERE ownership_due >= %(today)s),
                            MAX(ownership_due))
              FROM (SELECT move.commercial_partner_id AS partner_id,
                           MAX(move.invoice_date)
                           + NULLIF(categ.lifecycle_service_days, 0) AS service_due,
                           MAX(move.invoice_date)
                           + NULLIF(categ.lifecycle_ownership_days, 0) AS ownership_due
                      FROM product_category categ
                      JOIN product_template tmpl ON tmpl.categ_id = categ.id
                      JOIN product_product product ON product.product_tmpl_id = tmpl.id
                      JOIN account_move_line line ON line.product_id = product.id
                      JOIN account_move move ON move.id = line.move_id
                     WHERE (categ.lifecycle_service_days > 0
                            OR categ.lifecycle_ownership_days > 0)
                       AND line.display_type = 'product'
                       AND move.company_id = ANY(%(companies)s)
                       AND move.state = 'posted'
                       AND move.move_type = 'out_invoice'
                       AND move.invoice_date <= %(today)s
                       AND move.commercial_partner_id IS NOT NULL
                       %(only)s
                  GROUP BY move.commercial_partner_id, categ.id) AS due
          GROUP BY partner_id
            """,
            today=today,
            companies=ctx.company_ids,
            only=only,
        )

    @api.model
    def _scoring_select_due_dates(self, ctx, source):
        """The anniversary from the first purchase, the service and ownership
        due dates from the invoice lines per configured category."""
        today = SQL("%s::date", ctx.date)
        # full years from the first purchase to the scoring date, at least 1
        years = SQL(
            "GREATEST(1, date_part('year', age(%s, s.first_purchase_date))::int)",
            today,
        )
        anniversary = SQL(
            "(s.first_purchase_date + make_interval(years => %s))::date", years
        )
        following = SQL(
            "(s.first_purchase_date + make_interval(years => %s + 1))::date", years
        )
        return SQL(
            """
            SELECT s.partner_id,
                   CASE WHEN s.first_purchase_date IS NULL THEN NULL
                        WHEN %(anniversary)s >= %(today)s THEN %(anniversary)s
                        ELSE %(following)s END,
                   due.service_due, due.ownership_due
              FROM %(source)s s
         LEFT JOIN (%(due)s) AS due(partner_id, service_due, ownership_due)
                ON due.partner_id = s.partner_id
            """,
            anniversary=anniversary,
            following=following,
            today=today,
            source=source,
            due=self._lifecycle_category_due_query(ctx),
        )

    @api.model
    def _scoring_keep_due_dates(self, ctx):
        """The repurchase due date is decided in Python from the expected
        next purchase; a customer needs it when the lead days changed, or
        when the stored one differs from the one of its stored expected next
        purchase (a customer whose expected next purchase changes is
        rescored by the value step anyway)."""
        lead = self._lifecycle_repurchase_lead_days(ctx.company)
        ctx.step_keys["due_dates"] = repr(lead)
        if ctx.previous_step_keys.get("due_dates") != ctx.step_keys["due_dates"]:
            return SQL("TRUE")
        return SQL(
            "p.repurchase_due_date IS DISTINCT FROM %s",
            self._lifecycle_pick_due_sql(
                [
                    SQL("(p.next_purchase_date - %s)", lead),
                    SQL("(w.ownership_due_date - %s)", lead),
                ],
                SQL("%s::date", ctx.date),
            ),
        )

    @api.model
    def _scoring_batch_due_dates(self, ctx, batch):
        """The repurchase due date: the earlier of the expected next purchase
        and the end of the ownership period, minus the lead days."""
        lead = timedelta(days=self._lifecycle_repurchase_lead_days(ctx.company))
        next_purchase = batch.python_values.get("next_purchase_date", {})
        out = {}
        for pid in batch.partner_ids:
            candidates = [
                next_purchase.get(pid),
                batch.values[pid].get("ownership_due_date"),
            ]
            out[pid] = pick_due_date(
                [day - lead for day in candidates if day], ctx.date
            )
        batch.python_values["repurchase_due_date"] = out
