# Second file of the model (house rule: files under ~500 lines).
# pylint: disable=consider-merging-classes-inherited
import logging
import threading

from markupsafe import Markup, escape

from odoo import api, fields, models, tools
from odoo.tools import SQL

from .crm_collections_level import CHANNELS

_logger = logging.getLogger(__name__)

# (int, int) advisory lock of the sending job: one sending job at a time.
SEND_LOCK_NAMESPACE = 808013
SEND_BATCH_SIZE = 200
LETTER_REPORT = "crm_collections.action_report_dunning_letter"


def _testing():
    return getattr(threading.current_thread(), "testing", False)


class CrmCollectionsLine(models.Model):
    """The sending side of a dunning line: the batched, resumable sending
    job, the letter, the email, the phone-call activity and the chatter
    logs. A batch's state changes and documents are committed together: a
    worker killed mid-batch rolls both back and the lines stay *To Send*."""

    _inherit = "crm.collections.line"

    sent_date = fields.Datetime(readonly=True, copy=False)
    sent_channel = fields.Selection(
        selection=CHANNELS,
        readonly=True,
        copy=False,
        help="How the reminder was actually sent (a letter when an email "
        "could not be sent and the policy falls back to letters).",
    )
    letter_fallback = fields.Boolean(
        readonly=True,
        copy=False,
        help="The email bounced or could not be sent: the sending job sends a "
        "letter instead.",
    )
    letter_attachment_id = fields.Many2one(
        comodel_name="ir.attachment", string="Letter", readonly=True, copy=False
    )
    collections_recipient_id = fields.Many2one(
        comodel_name="res.partner",
        string="Recipient",
        compute="_compute_collections_recipient_id",
        help="The customer's dunning contact if one is marked, else its "
        "invoice address.",
    )
    collections_invoice_ids = fields.Many2many(
        comodel_name="crm.collections.line.invoice",
        string="Invoices To Remind",
        compute="_compute_collections_invoice_ids",
        help="The line's invoices that are not paused nor paid.",
    )

    def _compute_collections_recipient_id(self):
        for line in self:
            partner = line.partner_id
            contacts = partner.child_ids.filtered("collections_dunning_contact")
            if partner.collections_dunning_contact:
                contacts = partner | contacts
            line.collections_recipient_id = contacts[:1] or partner.browse(
                partner.address_get(["invoice"])["invoice"]
            )

    def _compute_collections_invoice_ids(self):
        for line in self:
            line.collections_invoice_ids = line.line_invoice_ids.filtered(
                lambda row: not row.skip_reason
            )

    # ------------------------------------------------------------
    # SENDING JOB
    # ------------------------------------------------------------

    @api.model
    def _collections_trigger_send(self):
        self.env.ref("crm_collections.ir_cron_collections_send").sudo()._trigger()

    @api.model
    def _cron_collections_send(self, batch_size=SEND_BATCH_SIZE, limit=None):
        """Send the lines *To Send*, ``batch_size`` at a time, one
        transaction per batch, under an advisory lock (a second sending job
        returns at once). ``limit``: stop after that many batches."""
        self = self.sudo()
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_lock(%s, 0)", [SEND_LOCK_NAMESPACE])
        if not cr.fetchone()[0]:
            _logger.info("Dunning sending job already running: skipped.")
            return False
        try:
            done = batches = 0
            while limit is None or batches < limit:
                self.env.flush_all()
                cr.execute(
                    """
                    SELECT id FROM crm_collections_line
                     WHERE state = 'to_send'
                     ORDER BY id
                     LIMIT %s
                       FOR UPDATE SKIP LOCKED
                    """,
                    [batch_size],
                )
                ids = [row[0] for row in cr.fetchall()]
                if not ids:
                    break
                self.browse(ids)._collections_send_safely()
                done += len(ids)
                batches += 1
                self.env.flush_all()
                if not _testing():
                    cr.commit()  # pylint: disable=invalid-commit
                remaining = self.search_count([("state", "=", "to_send")])
                self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
            return True
        finally:
            cr.execute("SELECT pg_advisory_unlock(%s, 0)", [SEND_LOCK_NAMESPACE])

    def _collections_send_safely(self):
        """Send a batch; if it fails, roll it back and send its lines one by
        one, so that one failing line (a broken template, a bad address)
        goes to *Error* with the reason instead of blocking every batch."""
        cr = self.env.cr
        try:
            with cr.savepoint():
                for company in self.company_id:
                    # letters, emails and fee invoices of the line's company
                    self.filtered(
                        lambda line, c=company: line.company_id == c
                    ).with_company(company)._collections_send_batch()
                self.env.flush_all()
            return
        except Exception:
            _logger.exception("Dunning batch failed: sending its lines one by one.")
            self.env.invalidate_all()
        for line in self:
            try:
                with cr.savepoint():
                    line.with_company(line.company_id)._collections_send_batch()
                    self.env.flush_all()
            except Exception as error:
                _logger.exception("Dunning line %s could not be sent.", line.id)
                self.env.invalidate_all()
                line.write(
                    {
                        "state": "error",
                        "error_reason": self.env._(
                            "Sending failed: %(error)s", error=str(error)
                        ),
                    }
                )

    def _collections_send_batch(self):
        """Send one batch (in the caller's transaction)."""
        lines = self._collections_recheck_residuals()
        lines._collections_charge()
        by_channel = {}
        for line in lines:
            channel = "letter" if line.letter_fallback else line.channel
            by_channel.setdefault(channel, self.browse())
            by_channel[channel] |= line
        emails = by_channel.get("email", self.browse())
        no_address = emails.filtered(
            lambda line: not line.collections_recipient_id.email
        )
        emails -= no_address
        fallback = no_address.filtered("policy_id.fallback_to_letter")
        failed = no_address - fallback
        letters = by_channel.get("letter", self.browse()) | fallback
        attachments = (letters | emails)._collections_render_letters()
        if emails:
            emails._collections_send_emails(attachments)
        phones = by_channel.get("phone", self.browse())
        if phones:
            phones._collections_schedule_calls()
        sent = letters | emails | by_channel.get("phone", self.browse())
        sent |= by_channel.get("none", self.browse())
        (letters | emails)._collections_log_sent(attachments)
        now = fields.Datetime.now()
        for channel, channel_lines in (
            ("letter", letters - fallback),
            ("email", emails),
            ("phone", by_channel.get("phone", self.browse())),
            ("none", by_channel.get("none", self.browse())),
        ):
            if channel_lines:
                channel_lines.write(
                    {"state": "sent", "sent_date": now, "sent_channel": channel}
                )
        if fallback:
            fallback.write(
                {
                    "state": "sent",
                    "sent_date": now,
                    "sent_channel": "letter",
                    "error_reason": self.env._(
                        "No email address: sent as a letter instead."
                    ),
                }
            )
        if failed:
            failed.write(
                {
                    "state": "error",
                    "error_reason": self.env._(
                        "No email address for the customer or its dunning contact."
                    ),
                }
            )
        self.run_id._collections_update_done()
        return sent

    def _collections_recheck_residuals(self):
        """Drop the invoices paid since the run (set-based): their rows get
        the skip reason *Paid*, the others their current amount due; lines
        left without an invoice to remind are cancelled. Returns the lines
        still to send."""
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                UPDATE crm_collections_line_invoice li
                   SET skip_reason = CASE
                           WHEN m.state != 'posted' OR m.amount_residual <= 0
                             OR m.payment_state IN ('paid', 'in_payment', 'reversed')
                           THEN 'paid' END,
                       amount_residual_currency = m.amount_residual,
                       amount_residual = ABS(m.amount_residual_signed)
                  FROM account_move m
                 WHERE li.line_id IN %(ids)s
                   AND li.skip_reason IS NULL
                   AND m.id = li.move_id
                """,
                ids=tuple(self.ids),
            )
        )
        cr.execute(
            SQL(
                """
                UPDATE crm_collections_line line
                   SET amount_total = COALESCE(agg.total, 0),
                       invoice_count = COALESCE(agg.cnt, 0),
                       state = CASE WHEN agg.cnt = 0 THEN 'cancelled'
                                    ELSE line.state END,
                       error_reason = CASE WHEN agg.cnt = 0 THEN %(reason)s
                                           ELSE line.error_reason END
                  FROM (SELECT l.id, SUM(li.amount_residual) AS total,
                               COUNT(li.id) AS cnt
                          FROM crm_collections_line l
                          LEFT JOIN crm_collections_line_invoice li
                            ON li.line_id = l.id AND li.skip_reason IS NULL
                         WHERE l.id IN %(ids)s
                         GROUP BY l.id) agg
                 WHERE agg.id = line.id
             RETURNING line.id, line.state
                """,
                ids=tuple(self.ids),
                reason=self.env._("All its invoices were paid before sending."),
            )
        )
        cancelled = [
            line_id for line_id, state in cr.fetchall() if state == "cancelled"
        ]
        self.invalidate_recordset()
        self.line_invoice_ids.invalidate_recordset()
        if cancelled:
            self.browse(cancelled).run_id._collections_update_done()
        return self - self.browse(cancelled)

    def _collections_render_letters(self):
        """Render the letters of these lines (one report rendering for the
        batch, split per line) and attach them to the lines. Returns
        {line id: ir.attachment}."""
        if not self:
            return {}
        report = self.env.ref(LETTER_REPORT)
        Report = self.env["ir.actions.report"]
        contents = {}
        if (
            tools.config["test_enable"] or tools.config["test_file"]
        ) and not self.env.context.get("force_report_rendering"):
            # no wkhtmltopdf in tests: the HTML of each letter
            for line in self:
                contents[line.id] = Report._render_qweb_html(report, line.ids)[0]
            mimetype = "text/html"
        else:
            streams = Report.with_context(
                webp_as_jpg=True
            )._render_qweb_pdf_prepare_streams(
                report, {"report_type": "pdf"}, res_ids=self.ids
            )
            contents = {
                res_id: data["stream"].getvalue()
                for res_id, data in streams.items()
                if data["stream"]
            }
            for line in self.filtered(lambda line: line.id not in contents):
                # the batch's PDF could not be split: render this one alone
                contents[line.id] = Report._render_qweb_pdf(report, line.ids)[0]
            mimetype = "application/pdf"
        extension = "pdf" if mimetype == "application/pdf" else "html"
        vals = []
        for line in self:
            vals.append(
                {
                    "name": self.env._(
                        "Reminder %(partner)s %(date)s.%(ext)s",
                        partner=line.partner_id.display_name,
                        date=line.date,
                        ext=extension,
                    ),
                    "raw": contents[line.id],
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": line.id,
                }
            )
        attachments = self.env["ir.attachment"].create(vals)
        by_line = dict(zip(self.ids, attachments, strict=True))
        for line in self:
            line.letter_attachment_id = by_line[line.id]
        return by_line

    def _collections_send_emails(self, attachments):
        """Post each line's email from its level's template (rendered in
        the customer's language), the letter attached, to the recipient.
        One composer per line (the attachment differs): emails are queued,
        not sent in this transaction."""
        for line in self.with_context(mail_notify_force_send=False):
            template = line.level_id.mail_template_id
            if not template:
                template = self.env.ref("crm_collections.mail_template_dunning")
            line.message_post_with_source(
                template,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                attachment_ids=[attachments[line.id].id],
            )

    def _collections_schedule_calls(self):
        """A phone-call activity per line for its caller (the salesperson of
        a VIP) or else the collector who validated the run."""
        if not self:
            return
        activity_type = self.env.ref("mail.mail_activity_data_call")
        model = self.env["ir.model"]._get_id(self._name)
        vals = []
        for line in self:
            user = (
                line.user_id
                or line.run_id.collector_id
                or line.partner_id.user_id
                or self.env.ref("base.user_admin", raise_if_not_found=False)
            )
            vals.append(
                {
                    "res_model_id": model,
                    "res_id": line.id,
                    "activity_type_id": activity_type.id,
                    "user_id": user.id,
                    "summary": self.env._("Payment reminder call"),
                    "note": Markup("<p>%s</p>")
                    % "\n".join(
                        line._collections_explain(i)
                        for i in line.explanation_data or []
                    ),
                }
            )
        self.env["mail.activity"].create(vals)

    def _collections_log_sent(self, attachments):
        """Log the reminder with its letter in the chatter of the customer
        and of each invoice: one batch of mail.message creates."""
        subtype = self.env.ref("mail.mt_note").id
        author = self.env.user.partner_id.id
        vals = []
        for line in self:
            attachment = attachments.get(line.id)
            kind = (
                self.env._("Payment reminder email")
                if line.channel == "email"
                and not line.letter_fallback
                and (line.collections_recipient_id.email)
                else self.env._("Payment reminder letter")
            )
            body = Markup("<p>%s: %s (%s)</p>") % (
                kind,
                escape(line.level_id.name or ""),
                escape(", ".join(line.collections_invoice_ids.move_id.mapped("name"))),
            )
            common = {
                "body": body,
                "message_type": "notification",
                "subtype_id": subtype,
                "author_id": author,
                "attachment_ids": attachment and [(4, attachment.id)] or [],
            }
            vals.append(
                {**common, "model": "res.partner", "res_id": line.partner_id.id}
            )
            vals += [
                {**common, "model": "account.move", "res_id": move.id}
                for move in line.collections_invoice_ids.move_id
            ]
        self.env["mail.message"].create(vals)

    # ------------------------------------------------------------
    # FAILURES AFTER SENDING
    # ------------------------------------------------------------

    def _collections_mark_failed(self, reason):
        """An email of these lines failed or bounced: error with the reason,
        or a letter instead (sent by the next sending job) when the policy
        falls back to letters."""
        lines = self.sudo().filtered(lambda line: line.state == "sent")
        fallback = lines.filtered(
            lambda line: line.policy_id.fallback_to_letter and not line.letter_fallback
        )
        if fallback:
            fallback.write(
                {
                    "state": "to_send",
                    "letter_fallback": True,
                    "error_reason": self.env._(
                        "%(reason)s: a letter is sent instead.", reason=reason
                    ),
                }
            )
            self._collections_trigger_send()
        if lines - fallback:
            (lines - fallback).write({"state": "error", "error_reason": reason})

    def _message_receive_bounce(self, email, partner):
        """A bounce of a reminder email: the line is in error (or falls back
        to a letter)."""
        self._collections_mark_failed(
            self.env._("The email to %(email)s bounced", email=email)
        )
        return super()._message_receive_bounce(email, partner)

    # ------------------------------------------------------------
    # LETTER
    # ------------------------------------------------------------

    def _collections_letter_totals(self):
        """[(currency, amount due)] of the line's invoices per currency."""
        self.ensure_one()
        totals = {}
        for row in self.collections_invoice_ids:
            totals[row.currency_id] = (
                totals.get(row.currency_id, 0.0) + row.amount_residual_currency
            )
        return sorted(totals.items(), key=lambda item: item[0].name)
