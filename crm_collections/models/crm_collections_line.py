from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .crm_collections_level import CHANNELS

# Written by the generation and the sending job only (as superuser).
ENGINE_FIELDS = {
    "run_id",
    "partner_id",
    "company_id",
    "policy_id",
    "amount_total",
    "invoice_count",
    "explanation_data",
    "error_reason",
    "sent_date",
    "sent_channel",
    "letter_fallback",
    "letter_attachment_id",
    "charge_move_id",
    "fee_charged",
    "interest_charged",
}
ENGINE_STATES = {"to_send", "sent", "error"}

LINE_STATES = [
    ("draft", "Draft"),
    ("to_send", "To Send"),
    ("sent", "Sent"),
    ("error", "Error"),
    ("cancelled", "Cancelled"),
]


class CrmCollectionsLine(models.Model):
    """One reminder of a run: a customer (commercial entity), the highest
    level its overdue invoices newly reached, the channel after the value
    adaptations, and the explanation stored as codes and numbers."""

    _name = "crm.collections.line"
    _description = "Dunning Line"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "run_id desc, amount_total desc, id"
    _check_company_auto = True
    _rec_names_search = ["partner_id"]

    run_id = fields.Many2one(
        comodel_name="crm.collections.run",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    date = fields.Date(related="run_id.date", store=True)
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, index=True, readonly=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        index=True,
        readonly=True,
    )
    policy_id = fields.Many2one(
        comodel_name="crm.collections.policy", readonly=True, ondelete="restrict"
    )
    level_id = fields.Many2one(
        comodel_name="crm.collections.level",
        ondelete="restrict",
        check_company=True,
        domain="[('policy_id', '=', policy_id)]",
        tracking=True,
        help="The highest level the customer's invoices newly reached.",
    )
    is_last_level = fields.Boolean(related="level_id.is_last")
    channel = fields.Selection(
        selection=CHANNELS,
        tracking=True,
        help="The level's channel after the value adaptations (a VIP customer "
        "is called by its salesperson).",
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Caller",
        help="Who calls the customer when the channel is a phone call.",
    )
    state = fields.Selection(
        selection=LINE_STATES,
        required=True,
        default="draft",
        index=True,
        tracking=True,
    )
    error_reason = fields.Char(readonly=True)
    amount_total = fields.Monetary(
        string="Total Due",
        currency_field="currency_id",
        readonly=True,
        help="The overdue amount of the line's invoices (paused ones "
        "excluded), in company currency.",
    )
    amounts_by_currency = fields.Text(
        compute="_compute_amounts_by_currency",
        help="Overdue amount per invoice currency.",
    )
    invoice_count = fields.Integer(readonly=True)
    line_invoice_ids = fields.One2many(
        comodel_name="crm.collections.line.invoice",
        inverse_name="line_id",
        string="Invoices",
    )
    explanation_data = fields.Json(
        readonly=True,
        help="Codes and numbers of the reasons, rendered in the reader's language.",
    )
    explanation = fields.Text(compute="_compute_explanation")

    _sql_constraints = [
        (
            "run_partner_uniq",
            "UNIQUE (run_id, partner_id)",
            "A customer gets one line per dunning run.",
        )
    ]

    def _compute_display_name(self):
        for line in self:
            line.display_name = f"{line.partner_id.display_name} ({line.run_id.date})"

    def _compute_amounts_by_currency(self):
        groups = self.env["crm.collections.line.invoice"]._read_group(
            [("line_id", "in", self.ids), ("skip_reason", "=", False)],
            ["line_id", "currency_id"],
            ["amount_residual_currency:sum"],
        )
        amounts = {}
        for line, currency, amount in groups:
            amounts.setdefault(line, []).append(currency.format(amount))
        for line in self:
            line.amounts_by_currency = "\n".join(amounts.get(line, []))

    @api.depends("explanation_data")
    def _compute_explanation(self):
        for line in self:
            line.explanation = "\n".join(
                line._collections_explain(item) for item in line.explanation_data or []
            )

    def _collections_explain(self, item):
        """Render one explanation item (a code and its numbers) in the
        reader's language. Override to add codes."""
        _ = self.env._
        code = item.get("code")
        if code == "level":
            level = self.env["crm.collections.level"].browse(item["level_id"]).exists()
            return _(
                "%(level)s because invoice %(move)s is %(days)s days overdue.",
                level=level.name or "?",
                move=item.get("move"),
                days=item.get("days"),
            )
        if code == "vip":
            tier = (
                self.env["crm.lifecycle.tier"]
                .browse(item.get("tier_id") or [])
                .exists()
            )
            return _(
                "Phone call by the salesperson instead of %(channel)s and "
                "%(extra)s days later: the customer is VIP (tier %(tier)s, "
                "predicted value %(clv)s).",
                channel=dict(
                    self._fields["channel"]._description_selection(self.env)
                ).get(item.get("channel"), item.get("channel")),
                extra=item.get("extra_days"),
                tier=tier.name or "-",
                clv=self.currency_id.format(item.get("clv") or 0.0),
            )
        if code == "poor_payer":
            return _(
                "Escalated %(fewer)s days earlier: paid %(avg)s days late on "
                "average over 12 months, predicted value %(clv)s.",
                fewer=item.get("fewer_days"),
                avg=round(item.get("avg_days_late") or 0.0, 1),
                clv=self.currency_id.format(item.get("clv") or 0.0),
            )
        if code == "broken_promise":
            return _(
                "Escalated %(fewer)s days earlier: a promise to pay was broken.",
                fewer=item.get("fewer_days"),
            )
        if code == "skip":
            reasons = dict(
                self.env["crm.collections.line.invoice"]
                ._fields["skip_reason"]
                ._description_selection(self.env)
            )
            return _(
                "Invoice %(move)s not dunned: %(reason)s.",
                move=item.get("move"),
                reason=reasons.get(item.get("reason"), item.get("reason")),
            )
        return str(item)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        if any(line.state not in ("draft", "cancelled") for line in self):
            raise UserError(
                self.env._("Only draft or cancelled dunning lines can be deleted.")
            )

    def write(self, vals):
        if not self.env.su and (
            ENGINE_FIELDS & set(vals) or vals.get("state") in ENGINE_STATES
        ):
            raise AccessError(
                self.env._(
                    "Dunning lines are generated, validated and sent by the "
                    "dunning engine: use Remove or the run's Validate button."
                )
            )
        if {"level_id", "channel"} & set(vals) and any(
            line.state != "draft" for line in self
        ):
            raise UserError(
                self.env._("Only the level and channel of draft lines can be changed.")
            )
        return super().write(vals)

    def action_cancel(self):
        """Remove the lines from their run (kept as cancelled: not history)."""
        if any(line.state == "sent" for line in self):
            raise UserError(self.env._("A sent dunning line cannot be cancelled."))
        self.write({"state": "cancelled"})

    def action_reset_draft(self):
        self.filtered(lambda line: line.state in ("cancelled", "error")).write(
            {"state": "draft"}
        )
