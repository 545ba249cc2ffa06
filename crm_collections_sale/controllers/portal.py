from odoo import http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request

from odoo.addons.sale.controllers import portal as sale_portal


class CustomerPortal(sale_portal.CustomerPortal):
    """A customer on credit hold is stopped before paying: no acceptance of
    the quotation, no payment transaction for its orders (sale's sign & pay,
    payment links, and website_sale's checkout, which all create their
    transaction through ``_create_transaction``)."""

    @http.route()
    def portal_quote_accept(
        self, order_id, access_token=None, name=None, signature=None
    ):
        access_token = access_token or request.httprequest.args.get("access_token")
        try:
            order_sudo = self._document_check_access(
                "sale.order", order_id, access_token=access_token
            )
        except (AccessError, MissingError):
            order_sudo = None
        message = order_sudo and order_sudo._crm_collections_portal_hold_message()
        if message:
            return {"error": message}
        return super().portal_quote_accept(
            order_id, access_token=access_token, name=name, signature=signature
        )

    def _create_transaction(self, *args, custom_create_values=None, **kwargs):
        order_ids = []
        for command in (custom_create_values or {}).get("sale_order_ids") or []:
            if isinstance(command, list | tuple) and command[0] == 6:
                order_ids += list(command[2])
            elif isinstance(command, list | tuple) and command[0] == 4:
                order_ids.append(command[1])
        if kwargs.get("sale_order_id"):
            order_ids.append(self._cast_as_int(kwargs["sale_order_id"]))
        orders = request.env["sale.order"].sudo().browse(order_ids).exists()
        for order in orders:
            message = order._crm_collections_portal_hold_message()
            if message:
                raise ValidationError(message)
        return super()._create_transaction(
            *args, custom_create_values=custom_create_values, **kwargs
        )
