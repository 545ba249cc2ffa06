from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        """A reminder email that could not be sent puts its line in error
        (or falls back to a letter)."""
        if failure_type:
            line_ids = [
                mail.mail_message_id.res_id
                for mail in self
                if mail.mail_message_id.model == "crm.collections.line"
                and mail.mail_message_id.res_id
            ]
            if line_ids:
                self.env["crm.collections.line"].browse(
                    line_ids
                ).exists()._collections_mark_failed(
                    self.env._(
                        "The email could not be sent (%(reason)s)",
                        reason=failure_reason or failure_type,
                    )
                )
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
