from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    collections_charge = fields.Boolean(
        string="Dunning Charge",
        readonly=True,
        copy=False,
        help="An invoice of dunning fees and interest: it is never charged "
        "fees or interest itself.",
    )
    collections_interest_date = fields.Date(
        string="Interest Charged Until",
        readonly=True,
        copy=False,
        help="Dunning interest on this invoice was charged up to this date: "
        "the next interest starts from it.",
    )

    crm_collections_line_invoice_ids = fields.One2many(
        comodel_name="crm.collections.line.invoice",
        inverse_name="move_id",
        string="Dunning History",
        groups="crm_collections.group_collections_user",
    )
    crm_collections_dunning_count = fields.Integer(
        string="Reminders",
        compute="_compute_crm_collections_dunning_count",
        groups="crm_collections.group_collections_user",
    )
    crm_collections_disputed = fields.Boolean(
        string="Disputed",
        compute="_compute_crm_collections_dunning_count",
        groups="crm_collections.group_collections_user",
        help="An invoice stays disputed while any of its disputes is open: "
        "dunning skips it.",
    )

    def _compute_crm_collections_dunning_count(self):
        counts = dict(
            self.env["crm.collections.line.invoice"]._read_group(
                [("move_id", "in", self.ids), ("skip_reason", "=", False)],
                ["move_id"],
                ["__count"],
            )
        )
        disputed = {
            move
            for move, __ in self.env["crm.collections.dispute"]._read_group(
                [("move_id", "in", self.ids), ("state", "=", "open")],
                ["move_id"],
                ["__count"],
            )
        }
        for move in self:
            move.crm_collections_dunning_count = counts.get(move, 0)
            move.crm_collections_disputed = move in disputed

    def action_crm_collections_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_collections.crm_collections_line_invoice_action"
        )
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {}
        return action
