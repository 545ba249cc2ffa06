from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import float_compare

from .crm_collections_policy_portal import PORTAL_PROMISE_MAX_DAYS


class CrmCollectionsPromise(models.Model):
    """Promises to pay proposed by customers on the portal.

    A proposal is ``proposed``: it does not pause dunning (the run pauses
    ``open`` promises only) and the daily job neither keeps nor breaks it,
    until a collector accepts it (``open``: dunning of its invoices pauses
    until the date) or refuses it (``refused``)."""

    _name = "crm.collections.promise"
    _inherit = ["crm.collections.promise", "mail.activity.mixin"]

    state = fields.Selection(
        selection_add=[
            ("proposed", "Proposed"),
            ("open",),
            ("refused", "Refused"),
        ],
        ondelete={"proposed": "set default", "refused": "set default"},
    )
    portal_user_id = fields.Many2one(
        comodel_name="res.users",
        string="Proposed By",
        readonly=True,
        help="The portal user who proposed this promise. A proposal pauses "
        "nothing until a collector accepts it.",
    )

    def _collections_check_collector(self):
        if not self.env.user.has_group("crm_collections.group_collections_user"):
            raise AccessError(
                self.env._("Only a collector can accept or refuse a promise to pay.")
            )
        if any(promise.state != "proposed" for promise in self):
            raise UserError(
                self.env._("Only proposed promises can be accepted or refused.")
            )

    def action_accept(self):
        """A collector accepts the customer's proposal: dunning of its
        invoices pauses until the date."""
        self._collections_check_collector()
        self.check_access("write")
        self.sudo().write({"state": "open"})
        self._collections_log(self.env._("Promise to pay accepted by %(user)s."))
        self.activity_feedback(["mail.mail_activity_data_todo"])

    def action_refuse(self):
        """A collector refuses the customer's proposal: dunning goes on."""
        self._collections_check_collector()
        self.check_access("write")
        self.sudo().write({"state": "refused"})
        self._collections_log(self.env._("Promise to pay refused by %(user)s."))
        self.activity_feedback(["mail.mail_activity_data_todo"])

    def _collections_log(self, text):
        body = Markup("<p>%s</p>") % (text % {"user": self.env.user.name})
        self._message_log_batch(bodies=dict.fromkeys(self.ids, body))

    @api.model
    def _collections_portal_propose(self, partner, line, moves, amount, date):
        """A customer (``partner``, the portal user's partner) proposes to
        pay ``amount`` (company currency) by ``date`` for ``moves``, invoices
        of its reminder ``line``. Validated here (the controller only parses):
        invoices of the customer and of the reminder, still open; amount > 0
        and at most their residual; date after today and within the policy's
        portal horizon. Creates a ``proposed`` promise and an activity for the
        collector. Returns the promise."""
        _ = self.env._
        line = line.sudo()
        commercial = partner.commercial_partner_id
        if not line or line.partner_id != commercial:
            raise UserError(_("This reminder is not one of yours."))
        moves = moves.sudo()
        if not moves:
            raise UserError(_("Please choose the invoices you will pay."))
        if moves - line.line_invoice_ids.move_id:
            raise UserError(_("Only the invoices of this reminder can be promised."))
        self.env["crm.collections.dispute"]._collections_portal_check_moves(
            moves, partner
        )
        company = line.company_id
        currency = company.currency_id
        residual = sum(moves.mapped("amount_residual_signed"))
        if (
            amount is None
            or float_compare(amount, 0.0, precision_rounding=currency.rounding) <= 0
        ):
            raise UserError(_("The promised amount must be positive."))
        if float_compare(amount, residual, precision_rounding=currency.rounding) > 0:
            raise UserError(
                _(
                    "The promised amount cannot exceed what the chosen invoices "
                    "still owe (%(residual)s).",
                    residual=currency.format(residual),
                )
            )
        today = fields.Date.context_today(self)
        policy = (
            self.env["crm.collections.policy"]
            .sudo()
            ._collections_partner_policy(commercial, company)
        )
        max_days = policy.portal_promise_max_days if policy else PORTAL_PROMISE_MAX_DAYS
        if not date or date <= today:
            raise UserError(_("The promised date must be after today."))
        if date > today + timedelta(days=max_days):
            raise UserError(
                _(
                    "The promised date must be within %(days)s days.",
                    days=max_days,
                )
            )
        pending = self.sudo().search_count(
            [
                ("line_id", "=", line.id),
                ("state", "=", "proposed"),
            ],
            limit=1,
        )
        if pending:
            raise UserError(
                _(
                    "You already proposed a promise to pay for this reminder: "
                    "our team will answer it."
                )
            )
        promise = (
            self.sudo()
            .with_context(mail_create_nolog=True)
            .create(
                {
                    "partner_id": commercial.id,
                    "company_id": company.id,
                    "amount": amount,
                    "date": date,
                    "move_ids": [fields.Command.set(moves.ids)],
                    "line_id": line.id,
                    "state": "proposed",
                    "portal_user_id": self.env.user.id,
                }
            )
        )
        promise.message_post(
            body=Markup("<p>%s</p>")
            % _(
                "Proposed on the portal: %(amount)s by %(date)s for %(moves)s.",
                amount=currency.format(amount),
                date=date,
                moves=", ".join(moves.mapped("name")),
            ),
            author_id=partner.id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        collector = self.env["crm.collections.policy"]._collections_portal_collector(
            commercial, company, moves
        )
        if collector:
            promise.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=collector.id,
                summary=_("Promise to pay proposed on the portal: accept or refuse"),
            )
        return promise
