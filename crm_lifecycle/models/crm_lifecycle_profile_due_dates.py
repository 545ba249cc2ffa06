# The due dates of the contact playbooks on the profile, beside its stage
# and figures in crm_lifecycle_profile.py (same model, split by size).
# pylint: disable=consider-merging-classes-inherited
from odoo import fields, models


class CrmLifecycleProfile(models.Model):
    _inherit = "crm.lifecycle.profile"

    # Due dates (step ``due_dates``), read by the contact playbooks
    next_anniversary_date = fields.Date(
        readonly=True,
        index=True,
        help="The next anniversary of the first purchase, on or after the day "
        "of the last scoring.",
    )
    service_due_date = fields.Date(
        readonly=True,
        index=True,
        help="When a service is due: the last purchase of a product of a "
        "category with a service interval, plus that interval (the earliest "
        "coming one over the categories, else the latest past one).",
    )
    repurchase_due_date = fields.Date(
        readonly=True,
        index=True,
        help="When to offer a repurchase: the expected next purchase or the "
        "end of the usual ownership period of a product category, whichever "
        "comes first, minus the lead days of the settings.",
    )
