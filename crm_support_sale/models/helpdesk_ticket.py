from odoo import api, fields, models
from odoo.exceptions import ValidationError


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    sale_order_id = fields.Many2one(
        comodel_name="sale.order",
        string="Related Sale Order",
        check_company=True,
        index="btree_not_null",
        domain="[('partner_id.commercial_partner_id', '=', commercial_partner_id)]",
        help="The sale order of this customer the request is about.",
    )

    @api.constrains("sale_order_id", "partner_id")
    def _check_sale_order_customer(self):
        for ticket in self.filtered("sale_order_id"):
            order_customer = ticket.sale_order_id.partner_id.commercial_partner_id
            if order_customer != ticket.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "The sale order %(order)s is not an order of the "
                        "request's customer %(customer)s.",
                        order=ticket.sale_order_id.name,
                        customer=ticket.commercial_partner_id.display_name,
                    )
                )
