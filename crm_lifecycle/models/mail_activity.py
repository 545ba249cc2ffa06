from odoo import fields, models


class MailActivity(models.Model):
    """Activities of the contact playbooks carry their reason and the
    customer, so that one customer has one open activity per reason across
    all its records (lifecycle profile, contacts, invoices, tickets)."""

    _inherit = "mail.activity"

    lifecycle_reason = fields.Char(
        string="Contact Reason",
        index="btree_not_null",
        help="The reason code of the contact playbook (or addon) that "
        "scheduled the activity.",
    )
    lifecycle_partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        index="btree_not_null",
        ondelete="cascade",
        help="The commercial partner the activity is about.",
    )
    lifecycle_playbook_id = fields.Many2one(
        comodel_name="crm.lifecycle.playbook",
        string="Contact Playbook",
        index="btree_not_null",
        ondelete="set null",
    )
