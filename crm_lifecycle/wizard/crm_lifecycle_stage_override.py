from odoo import fields, models
from odoo.exceptions import UserError


class CrmLifecycleStageOverride(models.TransientModel):
    _name = "crm.lifecycle.stage.override"
    _description = "Override Lifecycle Stage"

    profile_ids = fields.Many2many(
        comodel_name="crm.lifecycle.profile", string="Customers", required=True
    )
    stage_id = fields.Many2one(
        comodel_name="crm.lifecycle.stage", string="New Stage", required=True
    )
    stage_kind = fields.Selection(related="stage_id.kind")
    reason = fields.Char(
        required=True, help="Why the stage is set by hand; kept in the history."
    )
    churn_reason_id = fields.Many2one(
        comodel_name="crm.lifecycle.churn.reason",
        help="Required when the new stage is a churned stage; kept in the "
        "history and on the customer for the churn reasons report.",
    )
    lock_until = fields.Date(
        help="The engine takes the stage back after this day. Leave empty to "
        "keep the stage until someone unlocks it."
    )

    def action_apply(self):
        self.ensure_one()
        self._check_churn_reason()
        self.profile_ids._lifecycle_set_stage(
            self.stage_id,
            self.reason,
            lock_until=self.lock_until,
            churn_reason=self.churn_reason_id,
        )
        return {"type": "ir.actions.act_window_close"}

    def _check_churn_reason(self):
        """A churned stage set by hand needs an active churn reason."""
        if self.stage_id.kind != "churned":
            return
        if not self.churn_reason_id:
            raise UserError(
                self.env._(
                    "Choose a churn reason: customers set to %(stage)s by hand "
                    "need one.",
                    stage=self.stage_id.name,
                )
            )
        if not self.churn_reason_id.active:
            raise UserError(
                self.env._(
                    "The churn reason %(reason)s is archived: choose another one.",
                    reason=self.churn_reason_id.name,
                )
            )
