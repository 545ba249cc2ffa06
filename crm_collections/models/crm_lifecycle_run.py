from odoo import api, models


class CrmLifecycleRun(models.Model):
    """The nightly order: scoring, then dunning. When a scoring run
    finishes, the dunning job is triggered, so that it reads today's
    financial risk, tier and lifetime value; the scoring's risk step reads
    the escalations of the dunning committed before it (yesterday's)."""

    _inherit = "crm.lifecycle.run"

    @api.model
    def _cron_lifecycle_scoring(self, today=None, batch_size=None):
        kwargs = {"today": today}
        if batch_size is not None:
            kwargs["batch_size"] = batch_size
        runs = super()._cron_lifecycle_scoring(**kwargs)
        if runs.filtered(lambda run: run.state == "done"):
            dunning = self.env.ref(
                "crm_collections.ir_cron_collections_run", raise_if_not_found=False
            )
            if dunning and dunning.active:
                dunning.sudo()._trigger()
        return runs
