from odoo import api, fields, models


class CrmLifecycleRun(models.Model):
    """One run of the scoring job for one company and day.

    The run is the job's checkpoint: it is committed with every batch, so a
    job that crashed or was killed resumes after the last committed batch
    instead of starting over.
    """

    _name = "crm.lifecycle.run"
    _description = "Customer Lifecycle Scoring Run"
    _order = "id desc"

    company_id = fields.Many2one(
        comodel_name="res.company", required=True, index=True, ondelete="cascade"
    )
    date = fields.Date(
        required=True, help="The day the figures and stages are computed for."
    )
    state = fields.Selection(
        [
            ("running", "Running"),
            ("done", "Done"),
            ("interrupted", "Interrupted"),
        ],
        required=True,
        default="running",
        index=True,
    )
    start_datetime = fields.Datetime(
        string="Started", required=True, default=fields.Datetime.now
    )
    end_datetime = fields.Datetime(string="Finished")
    last_partner_id = fields.Integer(
        string="Checkpoint",
        help="Customers up to this partner id are done; a resumed run starts after it.",
    )
    partner_total = fields.Integer(string="Customers")
    partner_done = fields.Integer(string="Customers Done")
    changed_count = fields.Integer(
        string="Customers Changed", help="Customers whose figures or stage changed."
    )
    stage_change_count = fields.Integer(string="Stage Changes")
    resume_count = fields.Integer(
        string="Resumed", help="How many times the run resumed after a crash."
    )

    @api.model
    def action_run_now(self):
        """Trigger the scheduled job now; the cron worker runs it."""
        self.env.ref("crm_lifecycle.ir_cron_lifecycle_recompute").sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "The scoring job will start within a minute; reload to "
                    "follow its progress."
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
