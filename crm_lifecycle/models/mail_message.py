from odoo import fields, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    lifecycle_playbook_id = fields.Many2one(
        comodel_name="crm.lifecycle.playbook",
        string="Contact Playbook",
        index="btree_not_null",
        ondelete="set null",
        help="The contact playbook that sent this email (counted by its daily cap).",
    )
