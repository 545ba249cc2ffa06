from collections import OrderedDict

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.http import request, route
from odoo.tools import float_round

from odoo.addons.account.controllers.portal import PortalAccount
from odoo.addons.portal.controllers.portal import pager as portal_pager

FLASH_KEY = "crm_collections_portal_flash"


class CollectionsPortal(PortalAccount):
    """Payment reminders on the portal: the sent dunning lines of the portal
    user's commercial entity, in the user's companies.

    Portal users have no access right on the collections models: every read
    is ``sudo`` and always filtered by the user's commercial partner and
    companies, never by a partner given in the request. A reminder id of
    another customer or company is answered like a missing one (404).
    Disputes and promise proposals are validated by the models
    (``_collections_portal_open``, ``_collections_portal_propose``); the
    forms are POST with a CSRF token."""

    # ------------------------------------------------------------
    # HELPERS
    # ------------------------------------------------------------

    def _collections_partner(self):
        return request.env.user.partner_id.commercial_partner_id

    def _collections_reminders_domain(self):
        user = request.env.user
        return [
            ("partner_id", "=", user.partner_id.commercial_partner_id.id),
            ("company_id", "in", user.company_ids.ids),
            ("state", "=", "sent"),
        ]

    def _collections_reminder(self, line_id):
        """The user's own sent reminder ``line_id`` (sudo), else empty."""
        return (
            request.env["crm.collections.line"]
            .sudo()
            .search(
                [("id", "=", int(line_id)), *self._collections_reminders_domain()],
                limit=1,
            )
        )

    def _collections_flash(self, kind, text):
        request.session[FLASH_KEY] = {"type": kind, "text": text}

    def _collections_pop_flash(self):
        return request.session.pop(FLASH_KEY, None)

    def _collections_can_dispute(self, invoice):
        """Whether the portal user may dispute ``invoice`` (sudo): an open
        customer invoice of its commercial entity not yet disputed on the
        portal."""
        user = request.env.user
        return (
            not user._is_public()
            and invoice.move_type == "out_invoice"
            and invoice.state == "posted"
            and invoice.payment_state in ("not_paid", "partial")
            and invoice.commercial_partner_id == self._collections_partner()
            and invoice.company_id in user.company_ids
        )

    # ------------------------------------------------------------
    # HOME
    # ------------------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "collections_reminder_count" in counters:
            values["collections_reminder_count"] = (
                request.env["crm.collections.line"]
                .sudo()
                .search_count(self._collections_reminders_domain())
            )
        return values

    # ------------------------------------------------------------
    # REMINDERS
    # ------------------------------------------------------------

    def _collections_searchbar_sortings(self):
        _ = request.env._
        return {
            "date": {"label": _("Date"), "order": "date desc, id desc"},
            "amount": {"label": _("Total Due"), "order": "amount_total desc, id desc"},
        }

    @route(
        ["/my/reminders", "/my/reminders/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_collections_reminders(self, page=1, sortby=None, **kw):
        Line = request.env["crm.collections.line"].sudo()
        domain = self._collections_reminders_domain()
        sortings = self._collections_searchbar_sortings()
        if sortby not in sortings:
            sortby = "date"
        pager = portal_pager(
            url="/my/reminders",
            url_args={"sortby": sortby},
            total=Line.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        reminders = Line.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "collections_reminder",
                "reminders": reminders,
                "pager": pager,
                "default_url": "/my/reminders",
                "searchbar_sortings": OrderedDict(sortings),
                "sortby": sortby,
            }
        )
        return request.render("crm_collections.portal_my_reminders", values)

    @route(["/my/reminders/<int:line_id>"], type="http", auth="user", website=True)
    def portal_my_collections_reminder(self, line_id, **kw):
        reminder = self._collections_reminder(line_id)
        if not reminder:
            raise request.not_found()
        return self._collections_render_reminder(reminder)

    @route(
        ["/my/reminders/<int:line_id>/letter"], type="http", auth="user", website=True
    )
    def portal_my_collections_reminder_letter(self, line_id, **kw):
        """The letter as it was sent (the attachment stored by the sending
        job), for the customer's own reminders only."""
        reminder = self._collections_reminder(line_id)
        attachment = reminder.letter_attachment_id
        if not attachment:
            raise request.not_found()
        return (
            request.env["ir.binary"]
            ._get_stream_from(attachment)
            .get_response(as_attachment=True)
        )

    def _collections_render_reminder(self, reminder, form=None):
        rows = reminder.line_invoice_ids
        moves = rows.move_id
        disputed = (
            request.env["crm.collections.dispute"]
            ._collections_portal_disputes(moves)
            .move_id
        )
        open_moves = moves.filtered(
            lambda move: move.payment_state in ("not_paid", "partial")
        )
        proposed = (
            request.env["crm.collections.promise"]
            .sudo()
            .search(
                [("line_id", "=", reminder.id), ("state", "in", ("proposed", "open"))]
            )
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "collections_reminder",
                "reminder": reminder,
                "rows": rows,
                "disputed_moves": disputed,
                "open_moves": open_moves,
                "promises": proposed,
                "flash": self._collections_pop_flash(),
                "form": form or {},
                "today": fields.Date.context_today(reminder),
            }
        )
        return request.render("crm_collections.portal_my_reminder", values)

    # ------------------------------------------------------------
    # DISPUTE
    # ------------------------------------------------------------

    @route(
        ["/my/invoices/<int:invoice_id>/dispute"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_collections_invoice_dispute(self, invoice_id, reason=None, **kw):
        """Open a portal dispute from the invoice's portal page."""
        invoice = self._collections_dispute(invoice_id, reason)
        if invoice and invoice.commercial_partner_id == self._collections_partner():
            return request.redirect(invoice.get_portal_url())
        return request.redirect("/my/invoices")

    @route(
        ["/my/reminders/<int:line_id>/dispute"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_collections_reminder_dispute(
        self, line_id, invoice_id=None, reason=None, **kw
    ):
        """Open a portal dispute from a reminder (any invoice of the user's
        commercial entity; the model refuses the others)."""
        reminder = self._collections_reminder(line_id)
        if not reminder:
            raise request.not_found()
        self._collections_dispute(invoice_id, reason)
        return request.redirect(f"/my/reminders/{reminder.id}")

    def _collections_dispute(self, invoice_id, reason):
        """Open the dispute and flash the outcome. Returns the invoice
        (sudo, possibly empty)."""
        _ = request.env._
        invoice_id = int(invoice_id) if str(invoice_id or "").isdigit() else 0
        invoice = request.env["account.move"].sudo().browse(invoice_id).exists()
        try:
            if not invoice or invoice.company_id not in request.env.user.company_ids:
                raise UserError(_("This invoice is not one of yours."))
            request.env["crm.collections.dispute"]._collections_portal_open(
                invoice, request.env.user.partner_id, reason
            )
        except (UserError, ValidationError) as error:
            self._collections_flash("danger", error.args[0])
        else:
            self._collections_flash(
                "success",
                _(
                    "Invoice %(move)s is flagged as disputed: we will get back "
                    "to you and send no reminder for it meanwhile.",
                    move=invoice.name,
                ),
            )
        return invoice

    # ------------------------------------------------------------
    # PROMISE TO PAY
    # ------------------------------------------------------------

    @route(
        ["/my/reminders/<int:line_id>/promise"],
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_collections_promise(self, line_id, amount=None, date=None, **kw):
        reminder = self._collections_reminder(line_id)
        if not reminder:
            raise request.not_found()
        move_ids = [
            int(value)
            for value in request.httprequest.form.getlist("move_ids")
            if value.isdigit()
        ]
        _ = request.env._
        try:
            try:
                amount_value = float_round(
                    float(amount or ""),
                    precision_rounding=reminder.company_id.currency_id.rounding,
                )
            except ValueError as error:
                raise UserError(_("Please enter the amount as a number.")) from error
            try:
                date_value = fields.Date.to_date(date) if date else None
            except ValueError as error:
                raise UserError(_("Please enter a valid date.")) from error
            moves = request.env["account.move"].sudo().browse(move_ids).exists()
            request.env["crm.collections.promise"]._collections_portal_propose(
                request.env.user.partner_id, reminder, moves, amount_value, date_value
            )
        except (UserError, ValidationError) as error:
            self._collections_flash("danger", error.args[0])
        else:
            self._collections_flash(
                "success",
                _(
                    "Thank you: your promise to pay is sent. Reminders for these "
                    "invoices stop once our team accepts it."
                ),
            )
        return request.redirect(f"/my/reminders/{reminder.id}")

    # ------------------------------------------------------------
    # INVOICE PAGE
    # ------------------------------------------------------------

    def _invoice_get_page_view_values(self, invoice, access_token, **kwargs):
        values = super()._invoice_get_page_view_values(invoice, access_token, **kwargs)
        invoice_sudo = invoice.sudo()
        can_dispute = self._collections_can_dispute(invoice_sudo)
        values["collections_can_dispute"] = can_dispute
        values["collections_disputed"] = bool(
            can_dispute
            and request.env["crm.collections.dispute"]._collections_portal_disputes(
                invoice_sudo
            )
        )
        values["collections_flash"] = self._collections_pop_flash()
        return values
