from odoo import api, fields, models

# changing one of these re-matches the open tickets (which policies apply)
MATCH_FIELDS = {
    "team_ids",
    "category_ids",
    "tag_ids",
    "domain",
    "type_ids",
    "company_id",
    "active",
    "target_kind",
}
# changing one of these recomputes the targets of the open tickets
TARGET_FIELDS = {"days", "hours", "stage_id", "ignore_stage_ids", "target_kind"}


class HelpdeskSla(models.Model):
    _inherit = "helpdesk.sla"

    target_kind = fields.Selection(
        selection=[
            ("stage", "Stage reached"),
            ("first_response", "First response"),
        ],
        string="Target",
        default="stage",
        required=True,
        help="Stage reached: met when the ticket reaches the stage (or a later "
        "one). First response: met when an agent first answers the customer "
        "(a comment or email, not an internal note nor a templated "
        "notification).",
    )
    # helpdesk_mgmt_sla: Integer; fractional hours (e.g. 0.5 for 30 minutes)
    hours = fields.Float(
        default=0.0,
        required=True,
        digits=(16, 2),
        help="Working hours on the team's calendar, added to the days "
        "(fractions allowed: 0.5 is 30 minutes).",
    )

    def write(self, vals):
        result = super().write(vals)
        changed = set(vals)
        if changed & (MATCH_FIELDS | TARGET_FIELDS):
            self._support_recompute_open_tickets(rematch=bool(changed & MATCH_FIELDS))
        return result

    @api.model_create_multi
    def create(self, vals_list):
        policies = super().create(vals_list)
        policies._support_recompute_open_tickets(rematch=True)
        return policies

    def _support_recompute_open_tickets(self, rematch):
        """Apply a changed policy to the open tickets: with ``rematch``, the
        open tickets of SLA teams get their policies matched again (lines of
        policies that no longer match go, new ones come); the open lines of
        these policies then get their targets (hours, expected stage, state
        and deadline) recomputed, in one batch per calendar. Accomplished and
        breached lines keep their history."""
        Ticket = self.env["helpdesk.ticket"]
        if rematch:
            tickets = Ticket.search(
                [("stage_id.closed", "=", False), ("team_id.use_sla", "=", True)]
            )
            for ticket in tickets:
                ticket.refresh_sla()
        lines = self.env["helpdesk.ticket.sla"].search(
            [
                ("sla_id", "in", self.ids),
                ("ticket_id.stage_id.closed", "=", False),
                ("state", "in", ("in_progress", "on_hold")),
                ("breached", "=", False),
            ]
        )
        lines._support_recompute_targets()
