from odoo import api, fields, models
from odoo.exceptions import ValidationError

CHANNELS = [
    ("email", "Email"),
    ("letter", "Letter"),
    ("phone", "Phone Call"),
    ("none", "None"),
]


class CrmCollectionsLevel(models.Model):
    """One step of a dunning policy: reached when an invoice is ``days``
    days overdue (after its due date)."""

    _name = "crm.collections.level"
    _description = "Dunning Level"
    _order = "policy_id, days, id"
    _check_company_auto = True

    policy_id = fields.Many2one(
        comodel_name="crm.collections.policy",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="policy_id.company_id", store=True, index=True, precompute=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    sequence = fields.Integer(
        compute="_compute_sequence",
        store=True,
        help="The rank of the level in its policy (1 for the first), from its days.",
    )
    name = fields.Char(required=True, translate=True)
    days = fields.Integer(
        string="Days Overdue",
        required=True,
        help="The level is reached this many days after the invoice's due date.",
    )
    channel = fields.Selection(
        selection=CHANNELS,
        required=True,
        default="email",
        help="How the customer is reminded at this level. VIP customers are "
        "called by their salesperson instead.",
    )
    mail_template_id = fields.Many2one(
        comodel_name="mail.template",
        string="Email Template",
        domain="[('model', '=', 'crm.collections.line')]",
        help="The email sent at this level (required for email levels).",
    )
    letter_text = fields.Html(
        translate=True,
        help="The text of the letter, above the table of overdue invoices; "
        "printed in the customer's language.",
    )
    fee_product_id = fields.Many2one(
        comodel_name="product.product",
        check_company=True,
        help="Invoiced as a dunning fee when the level is sent (optional).",
    )
    fee_amount = fields.Monetary(currency_field="currency_id")
    interest_rate = fields.Float(
        string="Yearly Interest (%)",
        help="Yearly interest on the overdue amount, charged when the level is "
        "sent (optional).",
    )
    is_last = fields.Boolean(
        string="Last Level",
        help="Reaching it hands the customer over to a collections manager "
        "(an activity) and calls the hook _dunning_on_last_level.",
    )

    @api.depends("policy_id.level_ids.days")
    def _compute_sequence(self):
        for policy in self.policy_id:
            for rank, level in enumerate(policy.level_ids.sorted("days"), start=1):
                level.sequence = rank
        for level in self.filtered(lambda level: not level.policy_id):
            level.sequence = 0

    @api.constrains("days", "policy_id")
    def _check_days_increasing(self):
        for policy in self.policy_id:
            days = policy.level_ids.mapped("days")
            if len(days) != len(set(days)):
                raise ValidationError(
                    self.env._(
                        "The levels of the dunning policy %(policy)s must have "
                        "strictly increasing days overdue: two levels have the "
                        "same days.",
                        policy=policy.display_name,
                    )
                )
        for level in self:
            if level.days < 1:
                raise ValidationError(
                    self.env._(
                        "The level %(level)s must be reached at least one day "
                        "after the due date.",
                        level=level.display_name,
                    )
                )

    @api.constrains("fee_amount", "interest_rate")
    def _check_no_negative(self):
        for level in self:
            if level.fee_amount < 0 or level.interest_rate < 0:
                raise ValidationError(
                    self.env._(
                        "The fee and interest rate of the level %(level)s "
                        "cannot be negative.",
                        level=level.display_name,
                    )
                )

    @api.constrains("channel", "mail_template_id")
    def _check_template(self):
        for level in self:
            if level.channel == "email" and not level.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "The email level %(level)s needs an email template.",
                        level=level.display_name,
                    )
                )
