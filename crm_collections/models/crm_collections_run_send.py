# Second file of the model (house rule: files under ~500 lines).
# pylint: disable=consider-merging-classes-inherited
from odoo import fields, models
from odoo.exceptions import UserError


class CrmCollectionsRun(models.Model):
    """Hands the lines of a validated (review) or generated (automatic) run
    over to the sending job: lines are only marked *To Send* here, the
    scheduled job ``crm.collections.line._cron_collections_send`` sends them."""

    _inherit = "crm.collections.run"

    collector_id = fields.Many2one(
        comodel_name="res.users",
        readonly=True,
        help="Who validated the run: phone calls without a caller are "
        "assigned to them.",
    )
    to_send_count = fields.Integer(
        string="Lines To Send", compute="_compute_to_send_count"
    )

    def _compute_to_send_count(self):
        counts = dict(
            self.env["crm.collections.line"]._read_group(
                [("run_id", "in", self.ids), ("state", "=", "to_send")],
                ["run_id"],
                ["__count"],
            )
        )
        for run in self:
            run.to_send_count = counts.get(run, 0)

    def action_validate(self):
        res = super().action_validate()
        self.sudo().write({"collector_id": self.env.user.id})
        return res

    def action_send_now(self):
        """Ask the sending job to run now (it runs in the background)."""
        self.check_access("write")
        if any(run.state != "sending" for run in self):
            raise UserError(self.env._("Only a run being sent can be sent now."))
        self.env["crm.collections.line"]._collections_trigger_send()

    def _collections_mark_to_send(self, lines):
        res = super()._collections_mark_to_send(lines)
        if lines:
            self.env["crm.collections.line"]._collections_trigger_send()
        return res

    def _collections_update_done(self):
        """Runs in *Sending* without a line left to send are done."""
        runs = self.filtered(lambda run: run.state == "sending")
        if not runs:
            return
        pending = {
            run
            for run, __ in self.env["crm.collections.line"]
            .sudo()
            ._read_group(
                [("run_id", "in", runs.ids), ("state", "=", "to_send")],
                ["run_id"],
                ["__count"],
            )
        }
        done = runs.filtered(lambda run: run not in pending)
        if done:
            done.sudo().write({"state": "done"})
