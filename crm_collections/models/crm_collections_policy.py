from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmCollectionsPolicy(models.Model):
    """How a company dunns its customers: ordered levels, the review mode and
    the value adaptations (VIP customers are called later and personally,
    poor payers of little value escalate faster)."""

    _name = "crm.collections.policy"
    _description = "Dunning Policy"
    _order = "company_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        ondelete="cascade",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    is_default = fields.Boolean(
        string="Default Policy",
        help="The policy of the company's customers that have no policy of "
        "their own. One default policy per company.",
    )
    mode = fields.Selection(
        selection=[("review", "Review"), ("automatic", "Automatic")],
        required=True,
        default="review",
        help="Review: a run stays in review until a collector validates it. "
        "Automatic: the lines of a run are ready to send at once.",
    )
    fallback_to_letter = fields.Boolean(
        help="When an email cannot be sent (no address) or bounces, a letter "
        "is generated instead.",
    )
    charge_post = fields.Boolean(
        string="Post Fee Invoices",
        help="Post the invoices of dunning fees and interest at once; else "
        "they are left in draft for an accountant to check.",
    )
    level_ids = fields.One2many(
        comodel_name="crm.collections.level",
        inverse_name="policy_id",
        string="Levels",
        copy=True,
    )

    # Value adaptations: customers worth keeping
    vip_min_predicted_clv = fields.Monetary(
        string="VIP From Predicted Value",
        currency_field="currency_id",
        help="Customers whose predicted lifetime value reaches this amount are "
        "treated as VIP. Zero: not used.",
    )
    vip_min_tier_id = fields.Many2one(
        comodel_name="crm.lifecycle.tier",
        string="VIP From Tier",
        check_company=True,
        domain="[('company_id', 'parent_of', company_id)]",
        help="Customers in this loyalty tier or a higher one are treated as VIP.",
    )
    vip_extra_days = fields.Integer(
        string="VIP Extra Days",
        help="Every level is reached this many days later by a VIP customer, "
        "and its channel becomes a phone call by the customer's salesperson.",
    )

    # Value adaptations: poor payers of little value
    poor_payer_min_days_late = fields.Float(
        string="Poor Payer From Days Late",
        help="Customers whose payments of the last 12 months were on average "
        "(weighted by amount) at least this many days late are poor payers. "
        "Zero: not used.",
    )
    poor_payer_max_clv = fields.Monetary(
        string="Poor Payer Up To Predicted Value",
        currency_field="currency_id",
        help="Only poor payers whose predicted lifetime value is at most this "
        "amount escalate faster. Zero: whatever their value.",
    )
    poor_payer_fewer_days = fields.Integer(
        help="Every level is reached this many days earlier by a poor payer "
        "(never before one day overdue). A broken promise to pay in the last "
        "90 days has the same effect.",
    )

    @api.constrains("is_default", "company_id", "active")
    def _check_one_default(self):
        defaults = self.filtered(lambda policy: policy.is_default and policy.active)
        if not defaults:
            return
        groups = self._read_group(
            [
                ("is_default", "=", True),
                ("company_id", "in", defaults.company_id.ids),
            ],
            ["company_id"],
            ["__count"],
        )
        for company, count in groups:
            if count > 1:
                raise ValidationError(
                    self.env._(
                        "The company %(company)s already has a default dunning "
                        "policy: only one policy per company can be the default.",
                        company=company.display_name,
                    )
                )

    @api.constrains(
        "vip_extra_days",
        "vip_min_predicted_clv",
        "poor_payer_min_days_late",
        "poor_payer_max_clv",
        "poor_payer_fewer_days",
    )
    def _check_no_negative(self):
        for policy in self:
            if (
                min(
                    policy.vip_extra_days,
                    policy.vip_min_predicted_clv,
                    policy.poor_payer_min_days_late,
                    policy.poor_payer_max_clv,
                    policy.poor_payer_fewer_days,
                )
                < 0
            ):
                raise ValidationError(
                    self.env._(
                        "The value adaptations of the dunning policy %(policy)s "
                        "cannot be negative.",
                        policy=policy.display_name,
                    )
                )

    @api.constrains("level_ids", "active")
    def _check_levels(self):
        for policy in self.filtered("active"):
            if not policy.level_ids:
                raise ValidationError(
                    self.env._(
                        "The dunning policy %(policy)s needs at least one level.",
                        policy=policy.display_name,
                    )
                )
        self.level_ids._check_days_increasing()

    @api.model
    def _collections_default_policy(self, company):
        """The default policy of ``company`` (an empty recordset if none)."""
        return self.search(
            [("company_id", "=", company.id), ("is_default", "=", True)], limit=1
        )
