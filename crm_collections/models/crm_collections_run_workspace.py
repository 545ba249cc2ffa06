# One concern per file (see docs/architecture.md).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, models


class CrmCollectionsRun(models.Model):
    """Refresh the collections workspace after each dunning run and after the
    daily job (kept out of crm_collections_run.py, already long)."""

    _inherit = "crm.collections.run"

    def _collections_generate(self, commit=False):
        """The workspace shows the run's last levels: its refresh job is
        triggered (it runs after the generation has committed, in its own
        transaction)."""
        result = super()._collections_generate(commit=commit)
        self.env.ref(
            "crm_collections.ir_cron_collections_workspace_refresh"
        ).sudo()._trigger()
        return result

    @api.model
    def _cron_collections_run(self, today=None):
        runs = super()._cron_collections_run(today=today)
        self.env["crm.collections.workspace"].sudo()._collections_refresh_workspace()
        return runs
