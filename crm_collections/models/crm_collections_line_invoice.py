from markupsafe import Markup

from odoo import fields, models

SKIP_REASONS = [
    ("dispute", "Disputed"),
    ("promise", "Promise to Pay"),
    ("block_partner", "Customer Blocked"),
    ("block_invoice", "Invoice Blocked"),
    ("paid", "Paid Before Sending"),
]


class CrmCollectionsLineInvoice(models.Model):
    """One overdue invoice of a dunning line, with the level it reached.

    Rows are written in bulk by the run's generation (SQL), one per (line,
    invoice). Invoices paused by a dispute, a promise or a block are kept
    with their ``skip_reason`` and count neither for the level nor the
    totals. The rows of sent lines are the dunning history: an invoice is
    never dunned twice at the same level.
    """

    _name = "crm.collections.line.invoice"
    _description = "Dunning Line Invoice"
    _order = "line_id, date_maturity, id"
    _check_company_auto = True
    # Written in bulk by the engine only, never edited: no create/write
    # users and dates (two foreign key checks less per row of a big run).
    _log_access = False

    line_id = fields.Many2one(
        comodel_name="crm.collections.line",
        required=True,
        index=True,
        ondelete="cascade",
    )
    run_id = fields.Many2one(related="line_id.run_id")
    line_state = fields.Selection(related="line_id.state", string="Line Status")
    # Those of the line (not stored: fewer foreign key checks per row).
    company_id = fields.Many2one(related="line_id.company_id")
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    partner_id = fields.Many2one(related="line_id.partner_id", string="Customer")
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    date_maturity = fields.Date(string="Due Date", readonly=True)
    level_id = fields.Many2one(
        comodel_name="crm.collections.level",
        string="Level Reached",
        ondelete="restrict",
        readonly=True,
        help="The level this invoice reached on the run's date.",
    )
    days_overdue = fields.Integer(readonly=True)
    currency_id = fields.Many2one(comodel_name="res.currency", readonly=True)
    amount_residual_currency = fields.Monetary(
        string="Amount Due", currency_field="currency_id", readonly=True
    )
    amount_residual = fields.Monetary(
        string="Amount Due (Company Currency)",
        currency_field="company_currency_id",
        readonly=True,
    )
    new_level = fields.Boolean(
        readonly=True,
        help="The invoice reached a level it was never dunned at: it is why "
        "the customer gets a reminder.",
    )
    skip_reason = fields.Selection(
        selection=SKIP_REASONS,
        readonly=True,
        help="Why the invoice is paused (not dunned) in this run.",
    )

    _sql_constraints = [
        (
            "line_move_uniq",
            "UNIQUE (line_id, move_id)",
            "An invoice appears once per dunning line.",
        )
    ]

    def action_resend_invoice(self):
        """The customer says it never received the invoice: send it again
        (the invoice's own email template, with its PDF), logged on the
        invoice and on the dunning line."""
        self.line_id.check_access("write")
        for row in self:
            move = row.move_id.sudo()
            move.with_context(mail_notify_force_send=False).message_post_with_source(
                move._get_mail_template(),
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.env["mail.message"].sudo().create(
            [
                {
                    "model": "crm.collections.line",
                    "res_id": row.line_id.id,
                    "message_type": "notification",
                    "subtype_id": self.env.ref("mail.mt_note").id,
                    "author_id": self.env.user.partner_id.id,
                    "body": Markup("<p>%s</p>")
                    % self.env._(
                        "Invoice %(move)s sent again: the customer did not receive it.",
                        move=row.move_id.name,
                    ),
                }
                for row in self
            ]
        )
        return True
