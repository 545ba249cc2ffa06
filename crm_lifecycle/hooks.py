from odoo.tools import SQL
from odoo.tools.sql import drop_view_if_exists

from .models.account_move import MOVE_INDEX
from .models.crm_lifecycle_scoring import RUN_TABLE_PREFIX


def uninstall_hook(env):
    """Drop what the addon built outside the ORM: the covering index on
    ``account_move``, the working tables of unfinished runs and the
    materialised views of the KPI reports (the ORM drops plain views only)."""
    cr = env.cr
    for report in env["crm.lifecycle.kpi.mixin"]._kpi_report_models():
        drop_view_if_exists(cr, report._table)
    cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(MOVE_INDEX)))
    cr.execute(
        "SELECT tablename FROM pg_tables WHERE tablename LIKE %s",
        [RUN_TABLE_PREFIX.replace("_", r"\_") + "%"],
    )
    for [table] in cr.fetchall():
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))
