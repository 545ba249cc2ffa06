# The financial risk and the credit hold on the workspace, beside its
# figures (the same model, one concern per file).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models
from odoo.tools import SQL


class CrmCollectionsWorkspace(models.Model):
    """What the collector weighs beside the debt: the customer's financial
    risk (the scoring step ``financial_risk``, read through its lifecycle
    profile) and its active credit hold."""

    _inherit = "crm.collections.workspace"

    financial_risk_score = fields.Integer(
        related="profile_id.financial_risk_score", string="Financial Risk"
    )
    financial_risk_level = fields.Selection(
        related="profile_id.financial_risk_level", string="Risk Level"
    )
    financial_risk_explanation = fields.Text(
        related="profile_id.financial_risk_explanation", string="Risk Explanation"
    )
    hold_id = fields.Many2one(
        comodel_name="crm.collections.hold",
        string="Credit Hold",
        compute="_compute_hold_id",
        help="The customer's active credit hold in the company.",
    )
    on_hold = fields.Boolean(
        string="On Credit Hold",
        compute="_compute_hold_id",
        search="_search_on_hold",
    )

    @api.depends("partner_id", "company_id")
    def _compute_hold_id(self):
        holds = (
            self.env["crm.collections.hold"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.partner_id.ids),
                    ("company_id", "in", self.company_id.ids),
                    ("state", "=", "active"),
                ]
            )
        )
        by_key = {(hold.partner_id.id, hold.company_id.id): hold.id for hold in holds}
        for row in self:
            hold_id = by_key.get((row.partner_id.id, row.company_id.id))
            row.hold_id = hold_id
            row.on_hold = bool(hold_id)

    def _search_on_hold(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        self.env["crm.collections.hold"].flush_model(
            ["partner_id", "company_id", "state"]
        )
        self.flush_model(["partner_id", "company_id"])
        held = SQL(
            """SELECT row.id FROM crm_collections_workspace row
                 JOIN crm_collections_hold hold
                   ON hold.partner_id = row.partner_id
                  AND hold.company_id = row.company_id
                  AND hold.state = 'active'"""
        )
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", SQL("(%s)", held))]
