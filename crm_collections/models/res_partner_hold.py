# One concern per file (see docs/architecture.md).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models


class ResPartner(models.Model):
    """Credit hold of the customer in the current company, shown on the form.
    Nothing is stored on ``res_partner``: the holds are their own model."""

    _inherit = "res.partner"

    crm_collections_hold_message = fields.Char(
        string="Credit Hold",
        compute="_compute_crm_collections_hold",
        help="Set when the customer is on credit hold in the current company: "
        "why, with the amounts.",
    )
    crm_collections_hold_count = fields.Integer(
        string="Credit Holds",
        compute="_compute_crm_collections_hold",
        groups="crm_collections.group_collections_user,account.group_account_readonly",
    )

    @api.depends_context("company")
    def _compute_crm_collections_hold(self):
        Hold = self.env["crm.collections.hold"].sudo()
        commercial = self.commercial_partner_id
        company = self.env.company
        counts = dict(
            Hold._read_group(
                [("partner_id", "in", commercial.ids), ("company_id", "=", company.id)],
                ["partner_id"],
                ["__count"],
            )
        )
        active = {
            hold.partner_id: hold
            for hold in Hold.search(
                [
                    ("partner_id", "in", commercial.ids),
                    ("company_id", "=", company.id),
                    ("state", "=", "active"),
                ]
            )
        }
        for partner in self:
            root = partner.commercial_partner_id
            hold = active.get(root)
            partner.crm_collections_hold_message = (
                hold._collections_hold_message() if hold else False
            )
            partner.crm_collections_hold_count = counts.get(root, 0)

    def action_crm_collections_holds(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_collections.crm_collections_hold_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
