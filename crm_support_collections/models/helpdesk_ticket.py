from odoo import api, models

# a change of one of these fields may open, move or close the dispute
DISPUTE_FIELDS = {"type_id", "invoice_id", "stage_id", "active"}


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._support_collections_sync_disputes()
        return tickets

    def write(self, vals):
        res = super().write(vals)
        if DISPUTE_FIELDS.intersection(vals):
            self._support_collections_sync_disputes()
        return res

    def unlink(self):
        self.env["crm.collections.dispute"].sudo()._collections_close_dispute(self)
        return super().unlink()

    def _support_collections_disputed_move(self, complaint):
        """The invoice this request should dispute: a posted customer invoice
        related to an open, active request of type ``complaint``; else an
        empty recordset."""
        self.ensure_one()
        move = self.invoice_id
        if (
            complaint
            and self.type_id == complaint
            and self.active
            and not self.stage_id.closed
            and move.move_type == "out_invoice"
            and move.state == "posted"
        ):
            return move
        return move.browse()

    def _support_collections_sync_disputes(self):
        """Open, move or close the disputes of these requests (sources) so
        that each disputes exactly its wanted invoice: one search of their
        open disputes, one close of those that no longer apply."""
        if not self:
            return
        Dispute = self.env["crm.collections.dispute"].sudo()
        open_disputes = Dispute.search_fetch(
            [
                ("source_ref", "in", [f"{self._name},{tid}" for tid in self.ids]),
                ("state", "=", "open"),
            ],
            ["source_ref", "move_id"],
        )
        current = {}
        for dispute in open_disputes:
            current.setdefault(dispute.source_ref.id, set()).add(dispute.move_id.id)
        complaint = self.env.ref(
            "crm_support_ext.helpdesk_ticket_type_complaint", raise_if_not_found=False
        )
        to_close = self.browse()
        to_open = []
        for ticket in self:
            move = ticket._support_collections_disputed_move(complaint)
            have = current.get(ticket.id, set())
            if have == set(move.ids):
                continue
            if have:
                to_close |= ticket
            if move:
                to_open.append((ticket, move))
        if to_close:
            Dispute._collections_close_dispute(to_close)
        if to_open:
            Dispute._collections_open_disputes(
                [
                    (
                        move,
                        ticket,
                        self.env._(
                            "Complaint %(number)s: %(name)s",
                            number=ticket.number,
                            name=ticket.name,
                        ),
                    )
                    for ticket, move in to_open
                ]
            )
