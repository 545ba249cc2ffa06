from odoo import api, fields, models


class CrmCollectionsDispute(models.Model):
    """A dispute on an invoice: dunning skips the invoice while any of its
    disputes is open. A dispute belongs to its source (a collector by hand,
    a helpdesk ticket, ...): closing a source's dispute leaves the others
    alone."""

    _name = "crm.collections.dispute"
    _description = "Invoice Dispute"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
    company_id = fields.Many2one(
        related="move_id.company_id", store=True, index=True, precompute=True
    )
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", store=True, string="Customer"
    )
    source_ref = fields.Reference(
        selection="_selection_source_ref",
        string="Source Document",
        index=True,
        help="The record the dispute comes from (a ticket, a dunning line...). "
        "Empty: opened by hand.",
    )
    reason = fields.Text(required=True)
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Opened By",
        default=lambda self: self.env.user,
    )
    state = fields.Selection(
        selection=[("open", "Open"), ("closed", "Closed")],
        required=True,
        default="open",
        tracking=True,
        index=True,
    )

    @api.model
    def _selection_source_ref(self):
        # From the registry, not ir.model: the selection is read for each
        # record written, so a search here cost a query per dispute.
        return sorted(
            (name, model._description or name)
            for name, model in self.env.registry.items()
            if not model._abstract and not model._transient
        )

    def action_close(self):
        self.write({"state": "closed"})

    def action_reopen(self):
        self.write({"state": "open"})

    @api.model
    def _collections_open_dispute(self, moves, source=None, reason=""):
        """Open one dispute per invoice of ``moves`` for ``source`` (any
        record, e.g. a helpdesk ticket; None: by hand). Returns the disputes.
        Used by the support issue when a complaint is about an invoice."""
        return self._collections_open_disputes([(moves, source, reason)])

    @api.model
    def _collections_open_disputes(self, items):
        """Open the disputes of many sources in one ``create``: ``items`` is a
        list of ``(moves, source, reason)`` as taken by
        :meth:`_collections_open_dispute`. Returns the disputes. No creation
        message per dispute in its chatter (the source says why it opened)."""
        return self.with_context(mail_create_nolog=True).create(
            [
                {
                    "move_id": move.id,
                    "source_ref": f"{source._name},{source.id}" if source else False,
                    "reason": reason,
                }
                for moves, source, reason in items
                for move in moves
            ]
        )

    @api.model
    def _collections_close_dispute(self, source):
        """Close the open disputes opened for ``source`` (one record or
        several, in one query) and only those: an invoice disputed by another
        source stays disputed. Returns them."""
        disputes = self.search(
            [
                ("source_ref", "in", [f"{source._name},{sid}" for sid in source.ids]),
                ("state", "=", "open"),
            ]
        )
        disputes.action_close()
        return disputes
