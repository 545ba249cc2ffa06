from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    lifecycle_service_days = fields.Integer(
        string="Service Due After (Days)",
        help="Days after a purchase of a product of this category when its "
        "first service is due; the lifecycle scoring stores the due date and "
        "a contact playbook reminds the customer. 0: no service. Products of "
        "sub-categories do not count.",
    )
    lifecycle_ownership_days = fields.Integer(
        string="Usual Ownership (Days)",
        help="Days a customer usually keeps a product of this category before "
        "buying a new one (e.g. a car); the repurchase due date is the last "
        "purchase plus this, minus the lead days of the settings. 0: none.",
    )
