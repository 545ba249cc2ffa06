import logging
from collections import Counter
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import safe_eval

_logger = logging.getLogger(__name__)

# Why a playbook skipped a customer (the keys of the counter it returns).
SKIP_REASONS = (
    "recently_contacted",
    "no_contact",
    "blacklisted",
    "no_email",
    "already_open",
    "no_owner",
    "capped",
)

# The code of the server action of a playbook's automation rule.
RUN_CODE = 'env["crm.lifecycle.playbook"].browse(%d)._lifecycle_run_playbook(records)'


class CrmLifecyclePlaybook(models.Model):
    """A contact playbook: when its automation rules fire on customers'
    profiles, schedule an activity for one owner or send a mail template,
    once per customer and reason.

    The triggers are ordinary automation rules (``base.automation``) on
    ``crm.lifecycle.profile`` whose server action calls
    :meth:`_lifecycle_run_playbook`; the playbook applies the rules that
    keep contacts sane: the do-not-contact flags, the mail blacklist, one
    open activity per reason and commercial partner, and a daily cap per
    owner.
    """

    _name = "crm.lifecycle.playbook"
    _description = "Customer Lifecycle Contact Playbook"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(
        default=True,
        help="An archived playbook contacts nobody; its automation rules are "
        "archived with it. Activating it again never fires on dates already "
        "past.",
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company.root_id,
        domain=[("parent_id", "=", False)],
        help="The root company whose customers the playbook contacts.",
    )
    code = fields.Char(
        string="Reason Code",
        required=True,
        help="Stored on the activities the playbook creates. No new activity "
        "is created while one with the same reason is open on any record of "
        "the same customer.",
    )
    description = fields.Text(help="When and why the playbook contacts customers.")

    # What it does
    channel = fields.Selection(
        [("activity", "Activity"), ("email", "Email")],
        required=True,
        default="activity",
        help="Schedule an activity for the owner, or send the mail template to "
        "the customer.",
    )
    activity_type_id = fields.Many2one(
        comodel_name="mail.activity.type",
        default=lambda self: self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        ),
        help="The type of the activities scheduled.",
    )
    summary = fields.Char(translate=True, help="Summary of the activities.")
    note = fields.Html(translate=True, help="Note of the activities.")
    deadline_days = fields.Integer(
        string="Due In (Days)",
        help="Days from the day the playbook fires to the activity's deadline.",
    )
    mail_template_id = fields.Many2one(
        comodel_name="mail.template",
        domain=[("model", "=", "crm.lifecycle.profile")],
        help="The email sent to the customer (a template on lifecycle profiles).",
    )

    # Who does it
    owner_rule = fields.Selection(
        [
            ("salesperson", "Customer's Salesperson"),
            ("user", "A User"),
            ("team", "A Sales Team"),
        ],
        required=True,
        default="salesperson",
        help="Customer's salesperson: the salesperson of the commercial "
        "partner, else the user or team below. A sales team: its members in "
        "turn, else its leader.",
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        check_company=True,
        help="Owner of the activities (or of customers without a salesperson).",
    )
    team_id = fields.Many2one(
        comodel_name="crm.team",
        string="Sales Team",
        check_company=True,
        help="Team whose members own the activities (or those of customers "
        "without a salesperson).",
    )
    daily_cap = fields.Integer(
        string="Daily Cap per User",
        default=20,
        help="At most this many activities or emails per owner and day from "
        "this playbook; the customers beyond are skipped (they are contacted "
        "by the next firing, if any). 0: no cap.",
    )

    repeat_days = fields.Integer(
        string="Not Again Within (Days)",
        default=30,
        help="A customer contacted by this playbook is not contacted by it "
        "again within this many days, whatever its triggers say: each moment "
        "fires once.",
    )

    # When
    automation_ids = fields.One2many(
        comodel_name="base.automation",
        inverse_name="lifecycle_playbook_id",
        string="Triggers",
        context={"active_test": False},
        help="The automation rules on lifecycle profiles that run the "
        "playbook. A rule added here gets the server action that runs it.",
    )
    preview_count = fields.Integer(
        string="Customers Now",
        compute="_compute_preview_count",
        help="How many customers the triggers' conditions match now (before "
        "the do-not-contact, one-owner and cap rules). Changes with the "
        "conditions being edited, before they are saved.",
    )
    open_activity_count = fields.Integer(compute="_compute_open_activity_count")
    contact_ids = fields.One2many(
        comodel_name="crm.lifecycle.playbook.contact",
        inverse_name="playbook_id",
        string="Contacts Made",
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "A reason code is used by one playbook per company.",
        ),
    ]

    @api.depends(
        "company_id",
        "automation_ids.filter_domain",
        "automation_ids.model_id",
        "automation_ids.trigger",
    )
    def _compute_preview_count(self):
        for playbook in self:
            playbook.preview_count = len(playbook._lifecycle_preview_profiles())

    def _compute_open_activity_count(self):
        counts = dict(
            self.env["mail.activity"]
            .sudo()
            ._read_group(
                [("lifecycle_playbook_id", "in", self.ids)],
                ["lifecycle_playbook_id"],
                ["__count"],
            )
        )
        for playbook in self:
            playbook.open_activity_count = counts.get(playbook._origin, 0)

    @api.constrains("channel", "activity_type_id", "mail_template_id")
    def _check_channel(self):
        for playbook in self:
            if playbook.channel == "activity" and not playbook.activity_type_id:
                raise ValidationError(
                    self.env._(
                        "The playbook %(name)s schedules activities: choose an "
                        "activity type.",
                        name=playbook.name,
                    )
                )
            if playbook.channel == "email" and not playbook.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "The playbook %(name)s sends emails: choose a mail template.",
                        name=playbook.name,
                    )
                )

    @api.constrains("daily_cap", "deadline_days", "repeat_days")
    def _check_numbers(self):
        if any(
            pb.daily_cap < 0 or pb.deadline_days < 0 or pb.repeat_days < 0
            for pb in self
        ):
            raise ValidationError(
                self.env._(
                    "The daily cap, the due days and the repeat delay cannot be "
                    "negative."
                )
            )

    def copy_data(self, default=None):
        default = default or {}
        vals_list = super().copy_data(default=default)
        for playbook, vals in zip(self, vals_list, strict=True):
            # the code is unique per company: kept for another company
            same_company = vals.get("company_id") == playbook.company_id.id
            if "code" not in default and same_company:
                vals["code"] = f"{playbook.code}_copy"
        return vals_list

    def copy(self, default=None):
        """Copy the triggers too, inactive, each running the new playbook."""
        new_playbooks = super().copy(default=default)
        for playbook, new in zip(self, new_playbooks, strict=True):
            for rule in playbook.sudo().with_context(active_test=False).automation_ids:
                new_rule = rule.copy({"active": False})
                new_rule.action_server_ids.unlink()
                new_rule.lifecycle_playbook_id = new
        return new_playbooks

    def write(self, vals):
        result = super().write(vals)
        if "active" in vals:
            # managers who are not administrators switch the rules too
            self.sudo().with_context(active_test=False).automation_ids.write(
                {"active": vals["active"]}
            )
        return result

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_preview(self):
        """The customers the triggers' conditions match now."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers of %(name)s", name=self.name),
            "res_model": "crm.lifecycle.profile",
            "view_mode": "list,form",
            "domain": [("id", "in", self._lifecycle_preview_profiles().ids)],
        }

    def action_view_activities(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Open Activities of %(name)s", name=self.name),
            "res_model": "mail.activity",
            "view_mode": "list,form",
            "domain": [("lifecycle_playbook_id", "=", self.id)],
        }

    def action_run_now(self):
        """Run the playbook on the customers its triggers match now."""
        self.ensure_one()
        self.check_access("write")
        self._lifecycle_run_playbook(self._lifecycle_preview_profiles())
        return True

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _lifecycle_preview_profiles(self):
        """The profiles of the company that the conditions of the triggers
        match now (the union over the triggers)."""
        self.ensure_one()
        Profile = self.env["crm.lifecycle.profile"]
        company = self.company_id or self.env.company.root_id
        profiles = Profile
        # rules are readable by administrators only; their domains are
        # applied with the user's rights
        for automation in self.sudo().automation_ids:
            if automation.model_id.model != Profile._name:
                continue
            domain = []
            if automation.filter_domain:
                try:
                    domain = safe_eval.safe_eval(
                        automation.filter_domain,
                        automation._get_eval_context(),
                    )
                except Exception as error:  # noqa: BLE001 - user-typed domain
                    raise UserError(
                        self.env._(
                            "The condition of %(rule)s is not valid: %(error)s",
                            rule=automation.name,
                            error=error,
                        )
                    ) from error
            profiles |= Profile.search([("company_id", "=", company.id), *domain])
        return profiles

    def _lifecycle_run_playbook(self, records):
        """Contact the customers of ``records`` (lifecycle profiles or
        partners) by this playbook. Returns a :class:`collections.Counter`
        of what was done (``activity``, ``email``) and skipped (see
        :data:`SKIP_REASONS`), also logged."""
        self.ensure_one()
        playbook = self.sudo()
        stats = Counter()
        if not playbook.active or not records:
            return stats
        profiles = playbook._lifecycle_profiles_of(records)
        partners = profiles.partner_id
        by_partner = {profile.partner_id: profile for profile in profiles}
        recent = playbook._lifecycle_recent_partners(partners)
        stats["recently_contacted"] = len(recent)
        partners -= recent
        flag = (
            "lifecycle_no_contact_email"
            if playbook.channel == "email"
            else "lifecycle_no_contact_activity"
        )
        candidates = partners.filtered(lambda partner: not partner[flag])
        stats["no_contact"] = len(partners) - len(candidates)
        if playbook.channel == "email":
            with_email = candidates.filtered("email_normalized")
            stats["no_email"] = len(candidates) - len(with_email)
            candidates = with_email.filtered(lambda partner: not partner.is_blacklisted)
            stats["blacklisted"] = len(with_email) - len(candidates)
        open_partners = playbook._lifecycle_open_partners(candidates)
        stats["already_open"] = len(candidates & open_partners)
        candidates -= open_partners
        owners = playbook._lifecycle_assign_owners(candidates, stats)
        if playbook.channel == "email":
            playbook._lifecycle_send_emails(by_partner, owners)
        else:
            playbook._lifecycle_create_activities(by_partner, owners)
        playbook._lifecycle_log_contacts(by_partner, owners)
        stats[playbook.channel] = len(owners)
        _logger.info(
            "Playbook %s (%s) on %d customers: %s",
            playbook.code,
            playbook.company_id.name,
            len(profiles),
            ", ".join(f"{key} {value}" for key, value in sorted(stats.items())),
        )
        return stats

    def _lifecycle_profiles_of(self, records):
        """The profiles in the playbook's company of ``records``: profiles
        (of other companies left out) or partners (of their commercial
        entities, created where missing)."""
        if records._name == "crm.lifecycle.profile":
            return records.sudo().filtered(
                lambda profile: profile.company_id == self.company_id
            )
        if records._name == "res.partner":
            return records._lifecycle_get_profiles(self.company_id).sudo()
        raise UserError(
            self.env._(
                "A contact playbook runs on lifecycle profiles or contacts, not "
                "on %(model)s.",
                model=records._description,
            )
        )

    def _lifecycle_open_partners(self, partners):
        """Those of ``partners`` (commercial entities) with an open activity
        of this playbook's reason on any of their records."""
        if not partners:
            return partners
        groups = (
            self.env["mail.activity"]
            .sudo()
            ._read_group(
                [
                    ("lifecycle_partner_id", "in", partners.ids),
                    ("lifecycle_reason", "=", self.code),
                ],
                ["lifecycle_partner_id"],
            )
        )
        return partners.browse([partner.id for (partner,) in groups])

    def _lifecycle_owner_candidates(self, partner):
        """The users who may own the contact of ``partner``, by preference
        (several: they take turns)."""
        team_users = self.team_id.member_ids or self.team_id.user_id
        if self.owner_rule == "salesperson":
            return partner.user_id or self.user_id or team_users
        if self.owner_rule == "user":
            return self.user_id
        return team_users

    def _lifecycle_recent_partners(self, partners):
        """Those of ``partners`` this playbook contacted within its repeat
        delay."""
        if not partners:
            return partners
        since = fields.Date.context_today(self) - timedelta(days=self.repeat_days)
        groups = (
            self.env["crm.lifecycle.playbook.contact"]
            .sudo()
            ._read_group(
                [
                    ("playbook_id", "=", self.id),
                    ("partner_id", "in", partners.ids),
                    ("date", ">", since),
                ],
                ["partner_id"],
            )
        )
        return partners.browse([partner.id for (partner,) in groups])

    def _lifecycle_today_counts(self):
        """``{user id: n}``: contacts this playbook made today per owner."""
        groups = (
            self.env["crm.lifecycle.playbook.contact"]
            .sudo()
            ._read_group(
                [
                    ("playbook_id", "=", self.id),
                    ("date", "=", fields.Date.context_today(self)),
                ],
                ["user_id"],
                ["__count"],
            )
        )
        return Counter({user.id: count for user, count in groups})

    def _lifecycle_assign_owners(self, partners, stats):
        """``{partner: user}``: the owner of each of ``partners`` within the
        daily cap; members of a team take turns. Counts the skipped."""
        counts = self._lifecycle_today_counts() if self.daily_cap else Counter()
        owners = {}
        turn = 0
        for partner in partners.sorted("id"):
            candidates = self._lifecycle_owner_candidates(partner)
            if not candidates:
                stats["no_owner"] += 1
                continue
            # rotate the team's members so that they share the contacts
            ordered = candidates[turn % len(candidates) :] | candidates
            owner = next(
                (
                    user
                    for user in ordered
                    if not self.daily_cap or counts[user.id] < self.daily_cap
                ),
                None,
            )
            if owner is None:
                stats["capped"] += 1
                continue
            counts[owner.id] += 1
            owners[partner] = owner
            turn += 1
        return owners

    def _prepare_activity_vals(self, profile, owner):
        return {
            "res_model_id": self.env["ir.model"]._get_id(profile._name),
            "res_id": profile.id,
            "activity_type_id": self.activity_type_id.id,
            "summary": self.summary or self.name,
            "note": self.note,
            "user_id": owner.id,
            "date_deadline": fields.Date.context_today(self)
            + timedelta(days=self.deadline_days),
            "lifecycle_reason": self.code,
            "lifecycle_partner_id": profile.partner_id.id,
            "lifecycle_playbook_id": self.id,
        }

    def _lifecycle_create_activities(self, by_partner, owners):
        """One ``create`` for all activities; owners are not mailed one by
        one (they see their activities in their to-do list)."""
        vals_list = [
            self._prepare_activity_vals(by_partner[partner], owner)
            for partner, owner in owners.items()
        ]
        if vals_list:
            self.env["mail.activity"].sudo().with_context(
                mail_activity_quick_update=True
            ).create(vals_list)

    def _lifecycle_log_contacts(self, by_partner, owners):
        today = fields.Date.context_today(self)
        self.env["crm.lifecycle.playbook.contact"].sudo().create(
            [
                {
                    "playbook_id": self.id,
                    "partner_id": partner.id,
                    "profile_id": by_partner[partner].id,
                    "user_id": owner.id,
                    "channel": self.channel,
                    "date": today,
                }
                for partner, owner in owners.items()
            ]
        )

    def _lifecycle_send_emails(self, by_partner, owners):
        """The template rendered and queued in batches, one per owner (the
        author of the emails)."""
        by_owner = {}
        for partner, owner in owners.items():
            by_owner.setdefault(owner, []).append(by_partner[partner].id)
        template = self.mail_template_id.sudo()
        for owner, profile_ids in by_owner.items():
            template.send_mail_batch(
                profile_ids,
                email_values={"author_id": owner.partner_id.id},
            )
