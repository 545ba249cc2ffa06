from odoo import fields, models


class CrmLifecycleProfile(models.Model):
    _inherit = "crm.lifecycle.profile"

    open_opportunity_count = fields.Integer(
        readonly=True, help="Open opportunities of the customer."
    )
