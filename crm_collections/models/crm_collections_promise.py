from markupsafe import Markup

from odoo import api, fields, models

BROKEN_PROMISE_DAYS = 90
PAID_STATES = ("paid", "in_payment", "reversed")


class CrmCollectionsPromise(models.Model):
    """A customer's promise to pay: dunning of its invoices pauses until the
    date. The daily job marks it kept (the invoices are paid) or broken."""

    _name = "crm.collections.promise"
    _description = "Promise to Pay"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
    )
    amount = fields.Monetary(currency_field="currency_id", tracking=True)
    date = fields.Date(
        string="Promised Date",
        required=True,
        tracking=True,
        help="Dunning of the promised invoices pauses up to this day.",
    )
    move_ids = fields.Many2many(
        comodel_name="account.move",
        relation="crm_collections_promise_move_rel",
        column1="promise_id",
        column2="move_id",
        string="Invoices",
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), "
        "('commercial_partner_id', '=', partner_id)]",
        help="The invoices the customer promised to pay. None: all its invoices.",
    )
    state = fields.Selection(
        selection=[("open", "Open"), ("kept", "Kept"), ("broken", "Broken")],
        required=True,
        default="open",
        readonly=True,
        tracking=True,
        index=True,
    )
    line_id = fields.Many2one(
        comodel_name="crm.collections.line",
        string="Dunning Line",
        index="btree_not_null",
        ondelete="set null",
        help="The reminder the customer answered with this promise.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        promises = super().create(vals_list)
        for promise in promises:
            commercial = promise.partner_id.commercial_partner_id
            if promise.partner_id != commercial:
                promise.partner_id = commercial
        return promises

    @api.model
    def _cron_collections_promises(self, today=None):
        """Daily: an open promise whose invoices are all paid is kept; one
        past its date with an invoice still unpaid is broken, logged on the
        promise's and the customer's chatter in batch (no per-promise
        message_post); a broken promise makes the customer escalate faster
        (see the policy's ``poor_payer_fewer_days``)."""
        today = today or fields.Date.context_today(self)
        # every company's promises and receivables, whoever runs the job
        self = self.sudo()
        promises = self.search([("state", "=", "open")])
        if not promises:
            return
        moves = promises.move_ids
        unpaid_moves = moves.filtered(
            lambda move: move.payment_state not in PAID_STATES
        )
        # Promises without invoices cover the customer's open invoices.
        open_partner_ids = {
            partner.id
            for partner, __ in self.env["account.move.line"]._read_group(
                [
                    ("partner_id.commercial_partner_id", "in", promises.partner_id.ids),
                    ("account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("amount_residual", ">", 0),
                ],
                ["partner_id"],
                ["__count"],
            )
        }
        open_commercial = (
            self.env["res.partner"].browse(open_partner_ids).commercial_partner_id
        )
        kept = broken = self.browse()
        for promise in promises:
            if promise.move_ids:
                paid = not (promise.move_ids & unpaid_moves)
            else:
                paid = promise.partner_id not in open_commercial
            if paid:
                kept |= promise
            elif promise.date < today:
                broken |= promise
        kept.write({"state": "kept"})
        broken.write({"state": "broken"})
        if broken:
            bodies = {
                promise.id: Markup("<p>%s</p>")
                % self.env._(
                    "Promise to pay %(amount)s by %(date)s broken: dunning resumes "
                    "and escalates faster.",
                    amount=promise.amount,
                    date=promise.date,
                )
                for promise in broken
            }
            broken._message_log_batch(bodies=bodies)
            partners = broken.partner_id
            partner_bodies = {
                partner.id: Markup("<p>%s</p>")
                % self.env._(
                    "Broken promise to pay: %(count)s promise(s) not kept.",
                    count=len(
                        broken.filtered(
                            lambda p, partner=partner: p.partner_id == partner
                        )
                    ),
                )
                for partner in partners
            }
            partners._message_log_batch(bodies=partner_bodies)
        return kept, broken
