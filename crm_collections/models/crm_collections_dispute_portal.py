from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import UserError

from .crm_collections_policy_portal import OPEN_PAYMENT_STATES


class CrmCollectionsDispute(models.Model):
    """Disputes customers open on the portal.

    Their source is the invoice itself (``source_ref`` = the disputed
    ``account.move``): no other source uses it (by hand: none; support: the
    ticket), so ``_collections_close_dispute(invoice)`` closes the
    customer's portal dispute of that invoice and leaves the collector's and
    the tickets' disputes of the same invoice open."""

    _inherit = "crm.collections.dispute"

    @api.model
    def _collections_portal_disputes(self, moves):
        """The open portal disputes of ``moves``."""
        return self.sudo().search(
            [
                ("source_ref", "in", [f"account.move,{mid}" for mid in moves.ids]),
                ("state", "=", "open"),
            ]
        )

    @api.model
    def _collections_portal_check_moves(self, moves, partner):
        """Raise a UserError unless every invoice of ``moves`` is an open
        (posted, unpaid or partly paid) customer invoice of ``partner``'s
        commercial entity."""
        commercial = partner.commercial_partner_id
        for move in moves.sudo():
            if (
                move.move_type != "out_invoice"
                or move.state != "posted"
                or move.commercial_partner_id != commercial
            ):
                raise UserError(self.env._("This invoice is not one of yours."))
            if move.payment_state not in OPEN_PAYMENT_STATES:
                raise UserError(
                    self.env._(
                        "Invoice %(move)s is already paid: there is nothing to "
                        "dispute or promise.",
                        move=move.name,
                    )
                )

    @api.model
    def _collections_portal_open(self, move, partner, reason):
        """A customer (``partner``, the portal user's partner) disputes the
        invoice ``move`` on the portal: opens a dispute whose source is the
        invoice, posts a note on the invoice and schedules an activity for
        the collector. Refused for an invoice of another customer, a paid
        invoice or one the portal already disputes. Returns the dispute."""
        move.ensure_one()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Please tell us why you dispute this invoice."))
        move = move.sudo()
        self._collections_portal_check_moves(move, partner)
        if self._collections_portal_disputes(move):
            raise UserError(
                self.env._(
                    "You already disputed invoice %(move)s: our team is looking "
                    "into it.",
                    move=move.name,
                )
            )
        dispute = self.sudo()._collections_open_dispute(
            move, source=move, reason=reason
        )
        move.message_post(
            body=Markup("<p>%s</p><p>%s</p>")
            % (
                self.env._("The customer disputes this invoice on the portal:"),
                reason,
            ),
            author_id=partner.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        collector = self.env["crm.collections.policy"]._collections_portal_collector(
            move.commercial_partner_id, move.company_id, move
        )
        if collector:
            move.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=collector.id,
                summary=self.env._("Invoice disputed on the portal"),
                note=Markup("<p>%s</p>") % reason,
            )
        return dispute
