from odoo import fields, models


class CrmCollectionsLine(models.Model):
    """The customer's credit hold shown on the dunning line."""

    _inherit = "crm.collections.line"

    hold_id = fields.Many2one(
        comodel_name="crm.collections.hold",
        string="Credit Hold",
        compute="_compute_hold_id",
        help="The customer's active credit hold in the line's company.",
    )

    def _compute_hold_id(self):
        holds = self.env["crm.collections.hold"].search(
            [
                ("partner_id", "in", self.partner_id.ids),
                ("company_id", "in", self.company_id.ids),
                ("state", "=", "active"),
            ]
        )
        by_key = {(hold.partner_id, hold.company_id): hold for hold in holds}
        for line in self:
            line.hold_id = by_key.get((line.partner_id, line.company_id), False)

    def action_crm_collections_hold(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.collections.hold",
            "res_id": self.hold_id.id,
            "view_mode": "form",
        }
