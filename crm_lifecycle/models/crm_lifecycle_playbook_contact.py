from odoo import fields, models


class CrmLifecyclePlaybookContact(models.Model):
    """One contact made by a playbook: an activity scheduled or an email
    queued. The log makes a playbook fire once per customer (no new contact
    within the playbook's repeat delay) and counts its daily cap; written by
    the playbooks only."""

    _name = "crm.lifecycle.playbook.contact"
    _description = "Customer Lifecycle Playbook Contact"
    _order = "date desc, id desc"

    playbook_id = fields.Many2one(
        comodel_name="crm.lifecycle.playbook",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        related="playbook_id.company_id", store=True, readonly=True
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    profile_id = fields.Many2one(
        comodel_name="crm.lifecycle.profile",
        readonly=True,
        ondelete="cascade",
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Owner",
        readonly=True,
        ondelete="set null",
        help="The owner of the activity, or the author of the email.",
    )
    channel = fields.Selection(
        [("activity", "Activity"), ("email", "Email")], required=True, readonly=True
    )
    date = fields.Date(required=True, readonly=True, index=True)
