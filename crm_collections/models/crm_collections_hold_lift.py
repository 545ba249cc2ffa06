from odoo import fields, models
from odoo.exceptions import UserError


class CrmCollectionsHoldLift(models.TransientModel):
    """Lift credit holds by hand, with a mandatory reason."""

    _name = "crm.collections.hold.lift"
    _description = "Lift Credit Hold"

    hold_ids = fields.Many2many(
        comodel_name="crm.collections.hold",
        string="Holds",
        required=True,
        domain="[('state', '=', 'active')]",
    )
    reason = fields.Text(
        required=True, help="Why the customer may buy on credit again."
    )

    def action_lift(self):
        self.ensure_one()
        if not (self.reason or "").strip():
            raise UserError(self.env._("Lifting a credit hold needs a reason."))
        self.hold_ids._collections_check_collector()
        self.hold_ids.sudo()._collections_lift(self.reason)
        return {"type": "ir.actions.act_window_close"}
