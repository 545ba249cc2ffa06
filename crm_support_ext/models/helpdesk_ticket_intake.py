# The email intake is a part of its own (read on its own), by design.
# pylint: disable=consider-merging-classes-inherited
from odoo import models, tools


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    def message_new(self, msg, custom_values=None):
        """An email to a team's alias from a sender no contact has: create
        the contact, flagged for review, so that the request has a
        customer (helpdesk_mgmt leaves it without one)."""
        custom_values = dict(custom_values or {})
        if not msg.get("author_id") and not custom_values.get("partner_id"):
            partner = self._support_intake_partner(msg.get("email_from"))
            if partner:
                msg["author_id"] = partner.id
                custom_values["partner_id"] = partner.id
        return super().message_new(msg, custom_values=custom_values)

    def _support_intake_partner(self, email_from):
        """The contact of an unknown sender ``email_from`` (``"Name
        <email>"``): an existing one with this email (archived ones
        included), else a new one flagged ``support_review_needed``."""
        name, email = tools.parse_contact_from_email(email_from or "")
        if not email:
            return self.env["res.partner"]
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        existing = Partner.search(
            [("email_normalized", "=", tools.email_normalize(email))], limit=1
        )
        if existing:
            return existing
        return Partner.create(
            {
                "name": name or email,
                "email": email,
                "support_review_needed": True,
            }
        )
