from odoo import api, fields, models


class ResPartner(models.Model):
    """The customer's open requests beside the open activities of the
    Lifecycle page's contact panel, so that staff see who already handles
    the customer."""

    _inherit = "res.partner"

    support_review_needed = fields.Boolean(
        string="To Review (Support)",
        copy=False,
        index="btree_not_null",
        help="Created by the mail gateway from an email of an unknown sender "
        "to a helpdesk team's alias: check the contact (name, company, "
        "duplicates, merge it if it exists under another email), then clear "
        "the flag.",
    )
    support_open_ticket_ids = fields.Many2many(
        comodel_name="helpdesk.ticket",
        compute="_compute_support_open_ticket_ids",
        string="Open Requests",
        groups="helpdesk_mgmt.group_helpdesk_user_own",
        help="The open helpdesk requests of this customer (all its contacts) "
        "that you may read, with their assignee.",
    )

    @api.depends("commercial_partner_id")
    def _compute_support_open_ticket_ids(self):
        Ticket = self.env["helpdesk.ticket"]
        if not Ticket.has_access("read"):
            self.support_open_ticket_ids = False
            return
        tickets = Ticket.search(
            [
                ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                ("stage_id.closed", "=", False),
            ],
            order="priority desc, create_date",
        )
        by_partner = {}
        for ticket in tickets:
            by_partner.setdefault(ticket.commercial_partner_id.id, []).append(ticket.id)
        for partner in self:
            partner.support_open_ticket_ids = [
                fields.Command.set(by_partner.get(partner.commercial_partner_id.id, []))
            ]
