from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models

from .crm_lifecycle_step_support import (
    POOR_RATING,
    SUPPORT_COMPONENTS,
    SUPPORT_WINDOW_DAYS,
)


class CrmLifecycleProfile(models.Model):
    _inherit = "crm.lifecycle.profile"

    @api.depends("churn_components", "churn_risk")
    @api.depends_context("lang")
    def _compute_churn_explanation(self):
        """Name the requests behind the support components of the churn
        risk (as of now: they may have moved since the scoring)."""
        super()._compute_churn_explanation()
        todo = self.filtered(
            lambda p: any((p.churn_components or {}).get(c) for c in SUPPORT_COMPONENTS)
        )
        if not todo:
            return
        Ticket = self.env["helpdesk.ticket"].sudo()
        complaint = self.env.ref(
            "crm_support_ext.helpdesk_ticket_type_complaint", raise_if_not_found=False
        )
        since = fields.Datetime.now() - timedelta(days=SUPPORT_WINDOW_DAYS)
        tickets = Ticket.search(
            [
                ("commercial_partner_id", "in", todo.partner_id.ids),
                "|",
                "|",
                "&",
                ("type_id", "=", complaint.id if complaint else False),
                ("stage_id.closed", "=", False),
                "&",
                ("sla_breached", "=", True),
                ("create_date", ">=", since),
                "&",
                ("rating_ids.rating", "<=", POOR_RATING),
                ("rating_ids.rating", ">", 0),
            ]
        )
        by_key = defaultdict(list)
        for ticket in tickets:
            by_key[
                (ticket.commercial_partner_id.id, ticket.company_id.root_id.id)
            ].append(ticket)
        for profile in todo:
            found = by_key.get((profile.partner_id.id, profile.company_id.id))
            if not found:
                continue
            items = Markup("").join(
                Markup("<li>%s</li>") % ticket.display_name for ticket in found
            )
            profile.churn_explanation = (profile.churn_explanation or Markup("")) + (
                Markup("<p class='mb-0'>%s</p><ul class='o_crm_support_churn'>%s</ul>")
                % (self.env._("Support requests behind it:"), items)
            )
