from markupsafe import Markup

from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        """An online payment of a customer on hold that slipped through (a
        transaction created before the hold) does not confirm the order: the
        order stays a quotation and a collector gets an activity on the
        hold. No error: the payment itself is kept."""
        stopped = self.env["payment.transaction"]
        holds = {}
        for tx in self:
            if len(tx.sale_order_ids) != 1:
                continue
            quotation = tx.sale_order_ids.filtered(
                lambda so: so.state in ("draft", "sent")
            )
            hold = quotation._crm_collections_holds().get(quotation)
            if hold:
                stopped |= tx
                holds[tx] = (quotation, hold)
        if holds:
            self._crm_collections_hold_payment_activities(holds)
        return super(
            PaymentTransaction, self - stopped
        )._check_amount_and_confirm_order()

    def _crm_collections_hold_payment_activities(self, holds):
        """``holds``: ``{tx: (order, hold)}``. One activity per hold for its
        collector, one batch of messages on the orders."""
        Hold = self.env["crm.collections.hold"].sudo()
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id("crm.collections.hold")
        values = []
        order_bodies = {}
        for tx, (order, hold) in holds.items():
            note = self.env._(
                "Payment %(reference)s of %(amount)s %(currency)s received for "
                "%(order)s, which was not confirmed because the customer is on "
                "credit hold. Confirm it (collections manager) or refund the "
                "payment.",
                reference=tx.reference,
                amount=tx.amount,
                currency=tx.currency_id.name,
                order=order.name,
            )
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": hold.id,
                    "activity_type_id": activity_type.id,
                    "user_id": Hold._collections_hold_collector(hold).id,
                    "summary": self.env._("Paid order on credit hold"),
                    "note": Markup("<p>%s</p>") % note,
                }
            )
            order_bodies[order.id] = Markup("<p>%s</p>") % note
        self.env["mail.activity"].sudo().create(values)
        self.env["sale.order"].browse(list(order_bodies)).sudo()._message_log_batch(
            bodies=order_bodies
        )
