from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_collections_hold_days_overdue = fields.Integer(
        string="Credit Hold After Days Overdue",
        default=0,
        help="A customer with a receivable more than this many days past due "
        "is put on credit hold by the daily evaluation. 0: off.",
    )
