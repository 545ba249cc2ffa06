from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmCollectionsBlock(models.Model):
    """Keeps a customer, or one invoice, out of dunning until an end date."""

    _name = "crm.collections.block"
    _description = "Dunning Block"
    _order = "end_date desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        index=True,
        ondelete="cascade",
        help="The whole customer (commercial entity) is blocked.",
    )
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        index=True,
        ondelete="cascade",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
        help="Only this invoice is blocked.",
    )
    reason = fields.Char(required=True)
    end_date = fields.Date(
        help="The block applies up to and including this day. Empty: until removed."
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Blocked By",
        default=lambda self: self.env.user,
        readonly=True,
    )

    @api.constrains("partner_id", "move_id")
    def _check_target(self):
        for block in self:
            if bool(block.partner_id) == bool(block.move_id):
                raise ValidationError(
                    self.env._("A dunning block is for one customer or one invoice.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        blocks = super().create(vals_list)
        for block in blocks.filtered("partner_id"):
            if block.partner_id != block.partner_id.commercial_partner_id:
                block.partner_id = block.partner_id.commercial_partner_id
        return blocks
