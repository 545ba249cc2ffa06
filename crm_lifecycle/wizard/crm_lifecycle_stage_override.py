from odoo import fields, models


class CrmLifecycleStageOverride(models.TransientModel):
    _name = "crm.lifecycle.stage.override"
    _description = "Override Lifecycle Stage"

    profile_ids = fields.Many2many(
        comodel_name="crm.lifecycle.profile", string="Customers", required=True
    )
    stage_id = fields.Many2one(
        comodel_name="crm.lifecycle.stage", string="New Stage", required=True
    )
    reason = fields.Char(
        required=True, help="Why the stage is set by hand; kept in the history."
    )
    lock_until = fields.Date(
        help="The engine takes the stage back after this day. Leave empty to "
        "keep the stage until someone unlocks it."
    )

    def action_apply(self):
        self.ensure_one()
        self.profile_ids._lifecycle_set_stage(
            self.stage_id, self.reason, lock_until=self.lock_until
        )
        return {"type": "ir.actions.act_window_close"}
