from collections import defaultdict
from datetime import timedelta

import pytz

from odoo import api, fields, models

from ..lib.working_hours import WorkIntervals


class HelpdeskTicketSla(models.Model):
    _inherit = "helpdesk.ticket.sla"

    target_kind = fields.Selection(related="sla_id.target_kind", store=True)
    breached = fields.Boolean(
        readonly=True,
        index=True,
        copy=False,
        help="Set by the scheduled job SLA breaches once the deadline has "
        "passed with the target not met; it stays set.",
    )
    breach_date = fields.Datetime(readonly=True, copy=False)
    breach_activity_id = fields.Many2one(
        comodel_name="mail.activity",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The activity scheduled for the team leader on the breach.",
    )

    # ------------------------------------------------------------------
    # targets
    # ------------------------------------------------------------------

    @api.depends("sla_id")
    def _compute_sla_data(self):
        result = super()._compute_sla_data()
        for record in self.filtered(lambda r: r.sla_id.target_kind == "first_response"):
            ticket = record.ticket_id
            record.expected_stage_id = False
            if ticket.first_response_date:
                record.state = "accomplished"
            elif ticket.stage_id in record.sla_id.ignore_stage_ids:
                record.state = "on_hold"
            else:
                record.state = "in_progress"
        return result

    @api.depends("hours", "consumed_time", "ticket_id", "last_state_date", "state")
    def _compute_deadline(self):
        """helpdesk_mgmt_sla plans each deadline with ``plan_hours`` (queries
        per ticket); here the work intervals of each calendar (leaves
        included) are read once for all the records."""
        todo = self.filtered(
            lambda r: not (r.state in ("accomplished", "expired") and r.deadline)
        )
        asks = []
        for record in todo:
            ticket = record.ticket_id
            calendar = (
                ticket.team_id.resource_calendar_id
                or ticket.company_id.resource_calendar_id
            )
            start = record.last_state_date or ticket.create_date
            if not calendar or not start:
                record.deadline = False
                continue
            asks.append((record, calendar, start, record.hours - record.consumed_time))
        deadlines = self._support_plan_batch(
            [(calendar, start, hours) for _record, calendar, start, hours in asks]
        )
        for (record, *_rest), deadline in zip(asks, deadlines, strict=True):
            record.deadline = deadline

    @api.model
    def _support_work_intervals(self, calendar, start, end):
        """:class:`WorkIntervals` of ``calendar`` (leaves included) between
        two naive UTC datetimes."""
        intervals = calendar._work_intervals_batch(
            pytz.utc.localize(start), pytz.utc.localize(end), compute_leaves=True
        )[False]
        return WorkIntervals(
            (begin.astimezone(pytz.utc), stop.astimezone(pytz.utc))
            for begin, stop, _meta in intervals
        )

    @api.model
    def _support_plan_batch(self, asks):
        """Deadlines of ``asks`` (``(calendar, start, hours)``, naive UTC),
        as naive UTC datetimes, reading each calendar's work intervals once
        (again with a doubled window only when a deadline falls beyond it)."""
        result = [False] * len(asks)
        by_calendar = defaultdict(list)
        for index, (calendar, start, hours) in enumerate(asks):
            by_calendar[calendar].append((index, start, hours))
        for calendar, items in by_calendar.items():
            first = min(start for _i, start, _h in items)
            last = max(start for _i, start, _h in items)
            per_day = calendar.hours_per_day or 8.0
            span = max(hours for _i, _s, hours in items) / per_day * 7 / 5 + 14
            pending = items
            for _attempt in range(6):
                end = last + timedelta(days=span)
                work = self._support_work_intervals(calendar, first, end)
                missing = []
                for index, start, hours in pending:
                    moment = work.plan(pytz.utc.localize(start), hours)
                    if moment is None:
                        missing.append((index, start, hours))
                    else:
                        result[index] = moment.astimezone(pytz.utc).replace(
                            tzinfo=None, microsecond=0
                        )
                pending = missing
                if not pending:
                    break
                span *= 2
        return result

    @api.model
    def _support_hours_batch(self, asks):
        """Working hours of ``asks`` (``(calendar, start, end)``, naive
        UTC), reading each calendar's work intervals once."""
        result = [0.0] * len(asks)
        by_calendar = defaultdict(list)
        for index, (calendar, start, end) in enumerate(asks):
            by_calendar[calendar].append((index, start, end))
        for calendar, items in by_calendar.items():
            first = min(start for _i, start, _e in items)
            last = max(end for _i, _s, end in items)
            if last <= first:
                continue
            work = self._support_work_intervals(calendar, first, last)
            for index, start, end in items:
                result[index] = round(
                    work.hours_between(
                        pytz.utc.localize(start), pytz.utc.localize(end)
                    ),
                    4,
                )
        return result

    def _support_recompute_targets(self):
        """Recompute hours, expected stage, state and deadline of these open
        lines after their policy changed, keeping the consumed time and the
        moment of the last state change."""
        for record in self:
            record.hours = (
                record.sla_id.hours
                + (record.ticket_id.team_id.resource_calendar_id.hours_per_day or 0)
                * record.sla_id.days
            )
            record.expected_stage_id = (
                record.sla_id.target_kind == "stage" and record.sla_id.stage_id
            )
            ticket = record.ticket_id
            if ticket.stage_id in record.sla_id.ignore_stage_ids:
                state = "on_hold"
            elif record.sla_id.target_kind == "first_response":
                state = "accomplished" if ticket.first_response_date else "in_progress"
            elif ticket.stage_id.sequence >= record.sla_id.stage_id.sequence:
                state = "accomplished"
            else:
                state = "in_progress"
            record.state = state
        self._compute_deadline()

    def _stage_recompute(self):
        """A stage change neither meets nor un-meets a first-response target:
        it only pauses (ignored stages) and resumes it."""
        if self.sla_id.target_kind != "first_response":
            return super()._stage_recompute()
        self.ensure_one()
        if self.state in ("expired", "accomplished"):
            return
        now = fields.Datetime.now()
        if self.state == "in_progress":
            self.consumed_time += self._support_hours_batch(
                [(self._support_calendar(), self.last_state_date, now)]
            )[0]
        if self.state == "in_progress" and self.deadline and self.deadline <= now:
            self.state = "expired"
        elif self.ticket_id.stage_id in self.sla_id.ignore_stage_ids:
            self.state = "on_hold"
        else:
            self.state = "in_progress"
        self.last_state_date = now

    def _support_calendar(self):
        ticket = self.ticket_id
        return (
            ticket.team_id.resource_calendar_id
            or ticket.company_id.resource_calendar_id
        )

    def _support_first_response(self, moment):
        """The ticket got its first response at ``moment``: its open
        first-response lines are met, or expired when the deadline passed."""
        for record in self.filtered(
            lambda r: (
                r.target_kind == "first_response"
                and r.state in ("in_progress", "on_hold")
            )
        ):
            if record.deadline and record.deadline < moment:
                record.state = "expired"
            else:
                record.state = "accomplished"

    # ------------------------------------------------------------------
    # breaches
    # ------------------------------------------------------------------

    @api.model
    def _cron_support_sla_breaches(self):
        """Flag the lines whose deadline passed without the target met and
        schedule one activity for the team leader per breach (the flag stays
        set, so a line never gets a second activity)."""
        now = fields.Datetime.now()
        lines = self.search(
            [
                ("breached", "=", False),
                "|",
                ("state", "=", "expired"),
                "&",
                ("state", "=", "in_progress"),
                ("deadline", "<", now),
            ]
        )
        if not lines:
            return
        lines.filtered(lambda r: r.state == "in_progress").write({"state": "expired"})
        lines.write({"breached": True, "breach_date": now})
        lines.ticket_id.sudo().write({"sla_breached": True})
        activity_type = self.env.ref(
            "crm_support_ext.mail_activity_type_sla_breach", raise_if_not_found=False
        )
        model_id = self.env["ir.model"]._get_id("helpdesk.ticket")
        vals_list, targets = [], []
        for line in lines:
            ticket = line.ticket_id
            leader = ticket.team_id.user_id or ticket.user_id
            if not leader:
                continue
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": ticket.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "user_id": leader.id,
                    "summary": self.env._(
                        "SLA breached: %(policy)s", policy=line.sla_id.name
                    ),
                    "note": self.env._(
                        "The deadline %(deadline)s of the SLA policy %(policy)s "
                        "passed without the target being met.",
                        deadline=line.deadline,
                        policy=line.sla_id.name,
                    ),
                    "date_deadline": fields.Date.context_today(self),
                    # shown in the contact panel of crm_lifecycle
                    "lifecycle_reason": "support_sla_breach",
                    "lifecycle_partner_id": ticket.commercial_partner_id.id,
                }
            )
            targets.append(line)
        activities = (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(vals_list)
        )
        for line, activity in zip(targets, activities, strict=True):
            line.breach_activity_id = activity
