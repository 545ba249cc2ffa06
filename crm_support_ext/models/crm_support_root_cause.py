from odoo import fields, models


class CrmSupportRootCause(models.Model):
    _name = "crm.support.root.cause"
    _description = "Support Request Root Cause"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(
        help="What this cause covers, so that agents pick the same one for the "
        "same problem."
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        index=True,
        help="Leave empty to share the cause between companies.",
    )
