from odoo import api, fields, models
from odoo.exceptions import AccessError

# set by this addon only (first response, breach job, priority boost)
ENGINE_FIELDS = {
    "first_response_date",
    "sla_breached",
    "priority_boost",
    "priority_boost_reason",
    "reopen_count",
}


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    root_cause_id = fields.Many2one(
        comodel_name="crm.support.root.cause",
        tracking=True,
        check_company=True,
        help="Why the customer had to ask: the cause to remove.",
    )
    resolution = fields.Html(
        help="What was done to solve the request.",
    )
    compensation_note = fields.Text(
        help="Compensation granted to the customer (credit note, gift, "
        "discount...) and why.",
    )
    product_id = fields.Many2one(
        comodel_name="product.product",
        check_company=True,
        help="The product the request is about.",
    )
    invoice_id = fields.Many2one(
        comodel_name="account.move",
        string="Related Invoice",
        check_company=True,
        domain="[('move_type', 'in', ('out_invoice', 'out_refund')),"
        " ('commercial_partner_id', '=', commercial_partner_id)]",
        help="The customer invoice the request is about.",
    )
    first_response_date = fields.Datetime(
        readonly=True,
        copy=False,
        index=True,
        help="When an agent first answered the customer (a comment or email "
        "by an internal user, not an internal note nor a templated "
        "notification).",
    )
    first_response_hours = fields.Float(
        compute="_compute_first_response_hours",
        store=True,
        digits=(16, 2),
        help="Working hours, on the team's calendar (leaves included), from "
        "the creation of the request to its first response.",
    )
    sla_breached = fields.Boolean(
        string="SLA Breached",
        readonly=True,
        copy=False,
        index=True,
        help="Set by the scheduled job SLA breaches when a deadline of the "
        "request passed without its target being met.",
    )

    @api.depends("first_response_date", "create_date", "team_id", "company_id")
    def _compute_first_response_hours(self):
        todo = self.filtered(lambda t: t.first_response_date and t.create_date)
        (self - todo).first_response_hours = 0.0
        hours = todo._support_hours_since_creation(
            {ticket.id: ticket.first_response_date for ticket in todo}
        )
        for ticket in todo:
            ticket.first_response_hours = hours[ticket.id]

    def _support_hours_since_creation(self, ends):
        """Working hours of these tickets from their creation to ``ends``
        (``{ticket id: naive UTC datetime}``) on the team's calendar, else the
        company's, reading each calendar's work intervals once; elapsed hours
        without a calendar. Returns ``{ticket id: hours}``."""
        asks = {}
        for ticket in self:
            calendar = (
                ticket.team_id.resource_calendar_id
                or ticket.company_id.resource_calendar_id
            )
            asks[ticket.id] = (calendar, ticket.create_date, ends[ticket.id])
        with_calendar = [tid for tid, ask in asks.items() if ask[0]]
        hours = dict(
            zip(
                with_calendar,
                self.env["helpdesk.ticket.sla"]._support_hours_batch(
                    [asks[tid] for tid in with_calendar]
                ),
                strict=True,
            )
        )
        for tid, (calendar, start, end) in asks.items():
            if not calendar:
                hours[tid] = (end - start).total_seconds() / 3600.0
        return hours

    def _support_check_engine_write(self, vals):
        forbidden = ENGINE_FIELDS & set(vals)
        if forbidden and not self.env.su:
            raise AccessError(
                self.env._(
                    "%(fields)s are set by the support engine, not by hand.",
                    fields=", ".join(
                        sorted(self._fields[name].string for name in forbidden)
                    ),
                )
            )

    def write(self, vals):
        self._support_check_engine_write(vals)
        return super().write(vals)

    # ------------------------------------------------------------------
    # first response
    # ------------------------------------------------------------------

    def message_post_with_source(self, source_ref, **kwargs):
        # messages rendered from a template (stage notifications, rating
        # requests, an agent's template...) are no first response
        return super(
            HelpdeskTicket, self.with_context(crm_support_from_template=True)
        ).message_post_with_source(source_ref, **kwargs)

    def _message_post_after_hook(self, message, msg_values):
        result = super()._message_post_after_hook(message, msg_values)
        if not self.first_response_date and self._support_is_first_response(message):
            self.sudo()._support_stamp_first_response(message.date)
        return result

    def _support_is_first_response(self, message):
        """Whether ``message`` answers the customer: a comment or email
        posted after the creation, not an internal subtype, by an internal
        user, not rendered from a template."""
        self.ensure_one()
        if self.env.context.get("crm_support_from_template"):
            return False
        if message.message_type not in ("comment", "email"):
            return False
        if not message.subtype_id or message.subtype_id.internal:
            return False
        if message.date and self.create_date and message.date < self.create_date:
            return False
        users = message.author_id.sudo().user_ids
        return bool(users) and not all(users.mapped("share"))

    def _support_stamp_first_response(self, moment):
        self.write({"first_response_date": moment})
        self.ticket_sla_ids._support_first_response(moment)

    # ------------------------------------------------------------------
    # portal rating
    # ------------------------------------------------------------------

    def _support_portal_rating_token(self):
        """The access token of the pending rating request of this closed
        request (sent by its stage, e.g. Resolved), for the rating buttons
        of the customer's portal page; False when there is none."""
        self.ensure_one()
        if not self.stage_id.closed:
            return False
        pending = (
            self.sudo()
            .rating_ids.filtered(lambda r: not r.consumed and r.access_token)
            .sorted("id")
        )
        return pending[-1:].access_token or False

    def _rating_get_operator(self):
        # helpdesk_mgmt_rating's rating request is sent from the assignee:
        # without one, its sender is empty and resolving the request fails
        # ("configure the sender's email address"); the agent who resolves it
        # (or else the team leader) stands in
        # (a partner, as rating.rating.rated_partner_id)
        operator = super()._rating_get_operator()
        if operator:
            return operator
        if not self.env.user.share and not self.env.su:
            return self.env.user.partner_id
        return self.team_id.user_id.partner_id
