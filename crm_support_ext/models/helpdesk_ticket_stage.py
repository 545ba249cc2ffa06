from odoo import api, models


class HelpdeskTicketStage(models.Model):
    _inherit = "helpdesk.ticket.stage"

    @api.model
    def _support_ensure_resolved_stage(self):
        """Add the stage "Resolved" (closed, asks the customer for a rating)
        unless a shared stage of that name exists; register it as
        ``crm_support_ext.helpdesk_ticket_stage_resolved`` either way."""
        xmlid = "crm_support_ext.helpdesk_ticket_stage_resolved"
        if self.env.ref(xmlid, raise_if_not_found=False):
            return
        stage = self.with_context(lang="en_US", active_test=False).search(
            [("name", "=ilike", "Resolved"), ("company_id", "=", False)], limit=1
        )
        template = self.env.ref(
            "helpdesk_mgmt_rating.rating_ticket_email_template",
            raise_if_not_found=False,
        )
        if not stage:
            stage = self.create(
                {
                    "name": "Resolved",
                    "sequence": 4,
                    "closed": True,
                    "unattended": False,
                    "fold": True,
                    "close_from_portal": False,
                    "company_id": False,
                }
            )
        if template and not stage.rating_mail_template_id:
            stage.rating_mail_template_id = template
        self.env["ir.model.data"].create(
            {
                "module": "crm_support_ext",
                "name": "helpdesk_ticket_stage_resolved",
                "model": self._name,
                "res_id": stage.id,
                "noupdate": True,
            }
        )
