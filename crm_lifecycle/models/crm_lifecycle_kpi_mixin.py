import hashlib
import logging
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL
from odoo.tools.sql import drop_view_if_exists

_logger = logging.getLogger(__name__)

# The root company of a company row ``c`` (profiles, history and reports
# belong to root companies; invoices of branches count for their root).
ROOT_COMPANY = SQL("split_part(c.parent_path, '/', 1)::int4")

# Customers' purchases: one row per root company, commercial partner and
# month with a posted customer invoice (refunds are not purchases). The
# invoices are reduced per company before the few companies are mapped to
# their root: a DISTINCT on the root computed per invoice (joined to
# res_company) was planned as a parallel hash aggregate that took minutes
# instead of a second on 1M invoices (measured on the benchmark database,
# PostgreSQL 15).
PURCHASE_MONTHS = SQL(
    """
    SELECT DISTINCT %(root)s AS company_id, p.partner_id, p.month
      FROM (SELECT DISTINCT m.company_id,
                   m.commercial_partner_id AS partner_id,
                   date_trunc('month', m.invoice_date)::date AS month
              FROM account_move m
             WHERE m.state = 'posted'
               AND m.move_type = 'out_invoice'
               AND m.commercial_partner_id IS NOT NULL
               AND m.invoice_date IS NOT NULL) AS p
      JOIN res_company c ON c.id = p.company_id
    """,
    root=ROOT_COMPANY,
)

# The common table expressions ``purchase`` (:data:`PURCHASE_MONTHS`) and
# ``first_purchase`` (each customer's month of first purchase) of the reports
# that count customers by month: ``WITH %s, ...``.
PURCHASE_CTES = SQL(
    """
    purchase AS (%(purchases)s),
    first_purchase AS (
        SELECT company_id, partner_id, MIN(month) AS month
          FROM purchase
      GROUP BY company_id, partner_id
    )
    """,
    purchases=PURCHASE_MONTHS,
)


def month_number(column):
    """SQL: months since year 0 of a date ``column`` (differences of two are
    whole months)."""
    return SQL(
        "(date_part('year', %(col)s) * 12 + date_part('month', %(col)s))::int4",
        col=column,
    )


class CrmLifecycleKpiMixin(models.AbstractModel):
    """A lifecycle report: a read-only model on a SQL view.

    A report defines :meth:`_kpi_query` (a SELECT with a unique ``id``
    column); by default the view is materialised, with a unique index on
    ``id`` so that :meth:`_kpi_refresh` refreshes it CONCURRENTLY (readers
    are not blocked). The scoring job triggers the scheduled action that
    refreshes every report (``crm.lifecycle.run._cron_lifecycle_kpi_refresh``)
    when its runs finish, and a manager can refresh them from the Reporting
    menu.
    """

    _name = "crm.lifecycle.kpi.mixin"
    _description = "Customer Lifecycle Report"
    _auto = False
    # a materialised view refreshed by the job; False: a plain view
    _kpi_materialized = True
    # columns indexed for the record rules and the default groupings
    _kpi_indexes = ("company_id",)

    company_id = fields.Many2one(
        comodel_name="res.company", readonly=True, help="The root company."
    )

    def _kpi_query(self):
        """Return the view's SELECT as :class:`~odoo.tools.SQL`."""
        raise NotImplementedError

    def init(self):
        if self._abstract:
            return
        cr = self.env.cr
        query = self._kpi_query()
        table = SQL.identifier(self._table)
        if not self._kpi_materialized:
            drop_view_if_exists(cr, self._table)
            cr.execute(SQL("CREATE VIEW %s AS (%s)", table, query))
            return
        # An upgrade keeps a materialised view whose definition is unchanged
        # (filling it again reads every invoice); the job refreshes it.
        signature = (
            "kpi:"
            + hashlib.sha256(
                repr((query.code, query.params, self._kpi_indexes)).encode()
            ).hexdigest()
        )
        cr.execute(
            "SELECT obj_description(oid, 'pg_class') FROM pg_class "
            "WHERE relname = %s AND relkind = 'm'",
            [self._table],
        )
        row = cr.fetchone()
        if row and row[0] == signature:
            return
        drop_view_if_exists(cr, self._table)
        cr.execute(SQL("CREATE MATERIALIZED VIEW %s AS (%s)", table, query))
        cr.execute(SQL("COMMENT ON MATERIALIZED VIEW %s IS %s", table, signature))
        cr.execute(
            SQL(
                "CREATE UNIQUE INDEX %s ON %s (id)",
                SQL.identifier(f"{self._table}_id_uniq"),
                table,
            )
        )
        for column in self._kpi_indexes:
            cr.execute(
                SQL(
                    "CREATE INDEX %s ON %s (%s)",
                    SQL.identifier(f"{self._table}_{column}_idx"),
                    table,
                    SQL.identifier(column),
                )
            )

    @api.model
    def _kpi_report_models(self):
        """The materialised lifecycle reports (models inheriting this one)."""
        names = self.env.registry.descendants([self._name], "_inherit")
        return [
            self.env[name]
            for name in sorted(names)
            if name != "crm.lifecycle.kpi.mixin"
            and not self.env[name]._abstract
            and self.env[name]._kpi_materialized
        ]

    @api.model
    def _kpi_refresh(self):
        """Refresh every materialised lifecycle report (readers keep the old
        rows until each refresh commits); return ``{model: seconds}``."""
        self.env.flush_all()
        timings = {}
        for report in self._kpi_report_models():
            start = time.perf_counter()
            self.env.cr.execute(
                SQL(
                    "REFRESH MATERIALIZED VIEW CONCURRENTLY %s",
                    SQL.identifier(report._table),
                )
            )
            timings[report._name] = time.perf_counter() - start
            report.invalidate_model()
        _logger.info(
            "Lifecycle reports refreshed: %s",
            ", ".join(f"{name} {sec:.1f}s" for name, sec in timings.items()),
        )
        return timings

    @api.model
    def action_kpi_refresh(self):
        """Refresh the lifecycle reports now (managers)."""
        if not self.env.user.has_group("crm_lifecycle.group_lifecycle_manager"):
            raise AccessError(
                self.env._("Only lifecycle managers can refresh the reports.")
            )
        self.sudo()._kpi_refresh()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("The lifecycle reports are up to date."),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
