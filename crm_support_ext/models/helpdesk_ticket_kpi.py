# Resolution time and reopen counter of the support KPIs, next to the
# ticket's other parts (one concern per file).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models
from odoo.tools import SQL


class HelpdeskTicket(models.Model):
    """What the support KPIs need on the request: its resolution time in
    working hours and how often it was reopened."""

    _inherit = "helpdesk.ticket"

    resolution_hours = fields.Float(
        compute="_compute_resolution_hours",
        store=True,
        digits=(16, 2),
        help="Working hours, on the team's calendar (leaves included), from "
        "the creation of the request to its last move into a closed stage "
        "(helpdesk_mgmt's Closed date); 0 while the request is open.",
    )
    reopen_count = fields.Integer(
        string="Reopened",
        readonly=True,
        copy=False,
        default=0,
        help="How many times the request left a closed stage for an open "
        "one (counted when the stage changes).",
    )

    @api.depends("closed_date", "create_date", "stage_id", "team_id", "company_id")
    def _compute_resolution_hours(self):
        todo = self.filtered(
            lambda t: t.stage_id.closed and t.closed_date and t.create_date
        )
        (self - todo).resolution_hours = 0.0
        hours = todo._support_hours_since_creation(
            {ticket.id: ticket.closed_date for ticket in todo}
        )
        for ticket in todo:
            # working hours are never negative; elapsed ones are floored
            ticket.resolution_hours = max(hours[ticket.id], 0.0)

    def write(self, vals):
        reopened = self.browse()
        if vals.get("stage_id"):
            stage = self.env["helpdesk.ticket.stage"].browse(vals["stage_id"])
            if not stage.closed:
                reopened = self.filtered(lambda t: t.stage_id.closed)
        result = super().write(vals)
        if reopened:
            # one statement for all the reopened requests (an engine field)
            self.env.cr.execute(
                SQL(
                    "UPDATE helpdesk_ticket SET reopen_count = "
                    "COALESCE(reopen_count, 0) + 1 WHERE id IN %s",
                    tuple(reopened.ids),
                )
            )
            reopened.invalidate_recordset(["reopen_count"])
        return result
