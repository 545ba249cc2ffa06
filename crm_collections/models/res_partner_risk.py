# The financial risk and payment behaviour of the current company's profile
# on the contact, beside the dunning settings in res_partner.py.
# pylint: disable=consider-merging-classes-inherited
from odoo import fields, models

from odoo.addons.crm_lifecycle.models.res_partner import PROFILE_RELATED


class ResPartner(models.Model):
    _inherit = "res.partner"

    collections_risk_score = fields.Integer(
        related="lifecycle_profile_id.financial_risk_score",
        string="Financial Risk",
        **PROFILE_RELATED,
    )
    collections_risk_level = fields.Selection(
        related="lifecycle_profile_id.financial_risk_level",
        string="Financial Risk Level",
        **PROFILE_RELATED,
    )
    collections_risk_explanation = fields.Text(
        related="lifecycle_profile_id.financial_risk_explanation",
        string="Financial Risk Explanation",
        **PROFILE_RELATED,
    )
    collections_overdue_amount = fields.Monetary(
        related="lifecycle_profile_id.overdue_amount",
        string="Overdue Amount",
        currency_field="lifecycle_currency_id",
        **PROFILE_RELATED,
    )
    collections_overdue_days_max = fields.Integer(
        related="lifecycle_profile_id.overdue_days_max",
        string="Longest Days Overdue",
        **PROFILE_RELATED,
    )
    collections_days_to_pay_avg = fields.Float(
        related="lifecycle_profile_id.payment_days_to_pay_avg",
        string="Average Days to Pay",
        **PROFILE_RELATED,
    )
    collections_on_time_share = fields.Float(
        related="lifecycle_profile_id.payment_on_time_share",
        string="Share Paid on Time",
        **PROFILE_RELATED,
    )
