from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

MANAGER_GROUP = "crm_collections.group_collections_manager"


class SaleOrder(models.Model):
    """Sale orders of a customer on credit hold: confirmation refused to users
    who are not collections managers; a manager's confirmation is an override
    logged on the order and on the hold."""

    _inherit = "sale.order"

    crm_collections_hold_message = fields.Char(
        string="Credit Hold",
        compute="_compute_crm_collections_hold_message",
        help="Set when the customer (commercial entity) is on credit hold in "
        "the order's company: the order can only be confirmed by a "
        "collections manager.",
    )

    @api.depends("partner_id", "company_id", "state")
    def _compute_crm_collections_hold_message(self):
        holds = self._crm_collections_holds()
        for order in self:
            hold = holds.get(order)
            order.crm_collections_hold_message = (
                hold._collections_hold_message()
                if hold and order.state in ("draft", "sent")
                else False
            )

    def _crm_collections_holds(self):
        """``{order: hold}``: the active credit hold of each order's
        commercial partner in the order's company (one search, sudo: a
        salesman has no access to the holds themselves)."""
        orders = self.filtered("partner_id")
        if not orders:
            return {}
        holds = (
            self.env["crm.collections.hold"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", orders.partner_id.commercial_partner_id.ids),
                    ("company_id", "in", orders.company_id.ids),
                    ("state", "=", "active"),
                ]
            )
        )
        by_key = {(hold.partner_id.id, hold.company_id.id): hold for hold in holds}
        result = {}
        for order in orders:
            key = (order.partner_id.commercial_partner_id.id, order.company_id.id)
            if key in by_key:
                result[order] = by_key[key]
        return result

    def action_confirm(self):
        """Refuse the orders of customers on hold unless the user is a
        collections manager (checked on the user's groups); a manager's
        confirmation is logged as an override."""
        holds = self._crm_collections_holds()
        if holds:
            if not self._crm_collections_may_override():
                raise UserError(
                    "\n".join(
                        self.env._(
                            "%(order)s cannot be confirmed. %(hold)s Only a "
                            "collections manager can confirm it.",
                            order=order.name,
                            hold=hold._collections_hold_message(),
                        )
                        for order, hold in holds.items()
                    )
                )
            self._crm_collections_log_override(holds)
        return super().action_confirm()

    def _crm_collections_may_override(self):
        """Whether the current user may confirm orders of customers on hold:
        a collections manager, read from the user's groups (never from the
        context). OdooBot (the superuser, member of every group) is not a
        person who decided: a confirmation by code running as OdooBot, e.g.
        a free website order, is refused like any other."""
        user = self.env.user
        return not user._is_superuser() and user.has_group(MANAGER_GROUP)

    def _crm_collections_log_override(self, holds):
        """One batch of messages on the orders and one on the holds."""
        user = self.env.user.name
        order_bodies = {
            order.id: Markup("<p>%s</p><p>%s</p>")
            % (
                self.env._(
                    "Confirmed despite the credit hold by %(user)s "
                    "(collections manager override).",
                    user=user,
                ),
                hold._collections_hold_message(),
            )
            for order, hold in holds.items()
        }
        self.browse(list(order_bodies)).sudo()._message_log_batch(bodies=order_bodies)
        hold_bodies = {}
        for order, hold in holds.items():
            hold_bodies.setdefault(hold.id, []).append(order.name)
        Hold = self.env["crm.collections.hold"].sudo()
        Hold.browse(list(hold_bodies))._message_log_batch(
            bodies={
                hold_id: Markup("<p>%s</p>")
                % self.env._(
                    "Override: %(user)s confirmed %(orders)s despite the hold.",
                    user=user,
                    orders=", ".join(names),
                )
                for hold_id, names in hold_bodies.items()
            }
        )

    def _crm_collections_portal_hold_message(self):
        """The message shown to the customer in the portal (no internal
        details): online payment and acceptance are stopped."""
        self.ensure_one()
        if not self._crm_collections_holds():
            return False
        return self.env._(
            "This order cannot be accepted or paid online at the moment: your "
            "account with %(company)s has amounts to settle. Please contact us.",
            company=self.company_id.name,
        )

    def _has_to_be_paid(self):
        """No online payment for a customer on hold."""
        return super()._has_to_be_paid() and not self._crm_collections_holds()
