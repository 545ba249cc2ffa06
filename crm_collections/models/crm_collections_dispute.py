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
        return [
            (model.model, model.name)
            for model in self.env["ir.model"].sudo().search([])
        ]

    def action_close(self):
        self.write({"state": "closed"})

    def action_reopen(self):
        self.write({"state": "open"})

    @api.model
    def _collections_open_dispute(self, moves, source=None, reason=""):
        """Open one dispute per invoice of ``moves`` for ``source`` (any
        record, e.g. a helpdesk ticket; None: by hand). Returns the disputes.
        Used by the support issue when a complaint is about an invoice."""
        source_ref = f"{source._name},{source.id}" if source else False
        return self.create(
            [
                {"move_id": move.id, "source_ref": source_ref, "reason": reason}
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
