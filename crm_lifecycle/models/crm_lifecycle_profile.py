from markupsafe import Markup
from psycopg2 import errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.models import to_company_ids
from odoo.tools import SQL

from .crm_lifecycle_value_segment import VALUE_LEVELS

MANAGER_GROUP = "crm_lifecycle.group_lifecycle_manager"


class CrmLifecycleProfile(models.Model):
    """The lifecycle of one customer (commercial partner) in one company.

    Figures, scores and stage live here rather than on ``res.partner``: the
    nightly job rewrites only rows of this table whose values changed, and
    never touches ``res_partner`` (whose ``write_date`` drives integrations).
    """

    _name = "crm.lifecycle.profile"
    _description = "Customer Lifecycle Profile"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "stage_sequence, revenue_12m desc, id"
    _rec_names_search = ["partner_id"]

    # Identity
    # Indexed by the unique (partner_id, company_id) constraint.
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        ondelete="cascade",
        domain="[('is_company', '=', True)]",
        help="The commercial entity: invoices of its contacts count for it.",
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company.root_id,
        ondelete="cascade",
        help="The root company: invoices of its branches count here.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    user_id = fields.Many2one(
        related="partner_id.user_id", string="Salesperson", readonly=True
    )
    color = fields.Integer(related="stage_id.color")

    # Stage
    stage_id = fields.Many2one(
        readonly=True,
        comodel_name="crm.lifecycle.stage",
        index=True,
        tracking=True,
        ondelete="restrict",
        group_expand="_read_group_stage_ids",
    )
    stage_kind = fields.Selection(
        related="stage_id.kind", store=True, string="Stage Kind", index=True
    )
    stage_sequence = fields.Integer(related="stage_id.sequence", store=True)
    stage_date = fields.Date(
        readonly=True,
        string="In Stage Since",
        help="The day the customer entered its stage.",
    )
    days_in_stage = fields.Integer(compute="_compute_days")
    stage_locked = fields.Boolean(
        readonly=True,
        tracking=True,
        help="Set by a manual override: the lifecycle engine leaves the stage "
        "alone until the lock ends.",
    )
    lock_until = fields.Date(
        readonly=True,
        string="Locked Until",
        help="The engine takes the stage back after this day. Empty: until "
        "unlocked by hand.",
    )
    stage_valid_until = fields.Date(
        readonly=True,
        copy=False,
        help="Technical: the last day the engine's stage decision holds while "
        "the figures do not change; the nightly job decides again after it.",
    )
    lock_reason = fields.Char(readonly=True, string="Override Reason")
    churn_reason_id = fields.Many2one(
        readonly=True,
        comodel_name="crm.lifecycle.churn.reason",
        index=True,
        ondelete="restrict",
        help="Why the customer churned, given by the manager who last set it "
        "to Churned by hand; cleared when the customer leaves the churned "
        "stage, by hand or by the engine. The history keeps it.",
    )
    history_ids = fields.One2many(
        comodel_name="crm.lifecycle.history",
        inverse_name="profile_id",
        string="Stage History",
    )
    history_count = fields.Integer(compute="_compute_history_count")

    # Purchase figures (posted customer invoices and refunds, company currency)
    first_purchase_date = fields.Date(
        readonly=True, help="Date of the first posted invoice."
    )
    last_purchase_date = fields.Date(
        readonly=True, index=True, help="Date of the latest posted invoice."
    )
    purchase_count = fields.Integer(
        readonly=True,
        string="Purchase Occasions",
        aggregator="sum",
        help="Distinct days with a posted customer invoice.",
    )
    purchase_count_12m = fields.Integer(
        readonly=True,
        string="Purchases (12 months)",
        help="Distinct invoice days in the last 12 months.",
    )
    invoice_count = fields.Integer(
        readonly=True,
        string="Invoices",
        help="Posted customer invoices, refunds excluded.",
    )
    revenue_total = fields.Monetary(
        readonly=True,
        string="Lifetime Revenue",
        help="Untaxed invoiced amount minus refunds, in company currency.",
    )
    revenue_12m = fields.Monetary(
        readonly=True,
        string="Revenue (12 months)",
        help="Untaxed invoiced amount minus refunds of the last 12 months.",
    )
    avg_order_value = fields.Monetary(
        readonly=True,
        string="Average Order Value",
        aggregator="avg",
        help="Lifetime revenue divided by the number of invoices.",
    )
    avg_interval_days = fields.Float(
        readonly=True,
        string="Average Days Between Purchases",
        digits=(16, 1),
        aggregator="avg",
        help="Days from the first to the last purchase divided by the "
        "intervals between purchase occasions.",
    )
    lifespan_days = fields.Integer(
        readonly=True,
        string="Lifecycle Length (days)",
        aggregator="avg",
        help="Days from the first to the latest purchase.",
    )
    has_open_opportunity = fields.Boolean(
        readonly=True,
        string="Open Opportunity",
        help="The customer has an open opportunity in the CRM pipeline.",
    )
    tenure_days = fields.Integer(
        string="Tenure (days)",
        compute="_compute_days",
        help="Days since the first purchase.",
    )
    days_since_purchase = fields.Integer(
        string="Days Since Last Purchase", compute="_compute_days"
    )

    # RFM
    recency_score = fields.Integer(
        readonly=True,
        help="1-5 by quintile of the last purchase date among the company's "
        "customers: 5 bought most recently.",
    )
    frequency_score = fields.Integer(
        readonly=True,
        help="1-5 by quintile of purchase occasions: 5 buy most often.",
    )
    monetary_score = fields.Integer(
        readonly=True,
        help="1-5 by quintile of lifetime revenue: 5 spend most.",
    )
    rfm_code = fields.Char(
        readonly=True, string="RFM", help="Recency, frequency, monetary scores."
    )
    segment_id = fields.Many2one(
        readonly=True,
        comodel_name="crm.lifecycle.segment",
        string="RFM Segment",
        index=True,
        ondelete="set null",
    )
    value_segment_id = fields.Many2one(
        readonly=True,
        comodel_name="crm.lifecycle.value.segment",
        index=True,
        ondelete="set null",
        help="The segment of the customer's current and potential value bands.",
    )
    value_current_level = fields.Selection(
        VALUE_LEVELS,
        readonly=True,
        string="Current Value",
        help="Band of the revenue of the last 12 months among the company's customers.",
    )
    value_potential_level = fields.Selection(
        VALUE_LEVELS,
        readonly=True,
        string="Potential Value",
        help="Band of the predicted lifetime value among the company's customers.",
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has one lifecycle profile per company.",
        ),
    ]

    @api.depends("partner_id")
    def _compute_display_name(self):
        for profile in self:
            profile.display_name = profile.partner_id.display_name

    @api.depends("stage_date", "first_purchase_date", "last_purchase_date")
    @api.depends_context("tz")
    def _compute_days(self):
        today = fields.Date.context_today(self)
        for profile in self:
            profile.days_in_stage = (
                (today - profile.stage_date).days if profile.stage_date else 0
            )
            profile.tenure_days = (
                (today - profile.first_purchase_date).days
                if profile.first_purchase_date
                else 0
            )
            profile.days_since_purchase = (
                (today - profile.last_purchase_date).days
                if profile.last_purchase_date
                else 0
            )

    def _compute_history_count(self):
        counts = dict(
            self.env["crm.lifecycle.history"]._read_group(
                [("profile_id", "in", self.ids)], ["profile_id"], ["__count"]
            )
        )
        for profile in self:
            profile.history_count = counts.get(profile, 0)

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        return stages.search([])

    def _check_company_domain(self, companies):
        """Profiles belong to root companies and are shared with branches."""
        if not companies:
            return [("company_id", "=", False)]
        return [("company_id", "parent_of", to_company_ids(companies))]

    @api.constrains("company_id", "partner_id")
    def _check_company_root(self):
        for profile in self:
            if profile.company_id.parent_id:
                raise ValidationError(
                    self.env._(
                        "Lifecycle profiles belong to root companies: %(company)s "
                        "is a branch of %(root)s.",
                        company=profile.company_id.name,
                        root=profile.company_id.root_id.name,
                    )
                )
            partner_company = profile.partner_id.company_id
            if partner_company and partner_company.root_id != profile.company_id:
                raise ValidationError(
                    self.env._(
                        "%(partner)s belongs to %(company)s and has no lifecycle "
                        "in %(other)s.",
                        partner=profile.partner_id.display_name,
                        company=partner_company.name,
                        other=profile.company_id.name,
                    )
                )

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_engine_fields(self):
        """The stored fields that only the engine writes (read-only to
        users, by any client): every stored ``readonly`` field of the model,
        those that later steps add included."""
        return {
            name
            for name, field in self._fields.items()
            if field.store and field.readonly and not field.automatic
        }

    def _lifecycle_check_engine_write(self, vals_list):
        if self.env.su:
            return
        engine = self._lifecycle_engine_fields()
        forbidden = set().union(*(engine & set(vals) for vals in vals_list))
        if forbidden:
            names = sorted(self._fields[name].string for name in forbidden)
            raise AccessError(
                self.env._(
                    "The lifecycle engine sets %(fields)s. To set a stage by "
                    "hand, use Override Stage and give a reason.",
                    fields=", ".join(names),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._lifecycle_check_engine_write(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._lifecycle_check_engine_write([vals])
        return super().write(vals)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_recompute(self):
        """Recompute figures, stage and RFM of these customers now."""
        self.check_access("write")
        self.sudo()._lifecycle_recompute()
        return True

    def action_override_stage(self):
        self._lifecycle_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override Lifecycle Stage"),
            "res_model": "crm.lifecycle.stage.override",
            "view_mode": "form",
            "target": "new",
            "context": {"default_profile_ids": self.ids},
        }

    def action_unlock_stage(self):
        self._lifecycle_check_manager()
        self.check_access("write")
        locked = self.filtered("stage_locked").sudo()
        locked.write(
            {
                "stage_locked": False,
                "lock_until": False,
                "lock_reason": False,
                "stage_valid_until": False,
            }
        )
        locked.partner_id._message_log_batch(
            {
                profile.partner_id.id: Markup("<p>%s</p>")
                % self.env._(
                    "Lifecycle stage unlocked in %(company)s: the engine manages "
                    "it again.",
                    company=profile.company_id.name,
                )
                for profile in locked
            }
        )
        return True

    def action_view_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_lifecycle.crm_lifecycle_history_action"
        )
        action["domain"] = [("profile_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [
            ("move_type", "in", ("out_invoice", "out_refund")),
            ("commercial_partner_id", "=", self.partner_id.id),
            ("company_id", "child_of", self.company_id.id),
        ]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    def _lifecycle_check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only lifecycle managers can override or unlock stages.")
            )

    @api.model
    def _lifecycle_state_columns(self):
        """The profile's ``id`` and the stage state the stage step reads."""
        return [
            "id",
            "stage_id",
            "stage_kind",
            "stage_sequence",
            "stage_date",
            "stage_locked",
            "lock_until",
        ]

    def _lifecycle_recompute(self, today=None):
        """Recompute figures, stage and RFM of these profiles now, in the
        current transaction (see ``crm.lifecycle.scoring``)."""
        today = today or fields.Date.context_today(self)
        Scoring = self.env["crm.lifecycle.scoring"]
        stats = {"changed": 0, "stage_changes": 0}
        for company, profiles in self.grouped("company_id").items():
            result = Scoring._scoring_score_partners(
                company, today, profiles.partner_id.ids
            )
            for key in stats:
                stats[key] += result[key]
        return stats

    @api.model
    def _lifecycle_lock_profiles(self, company, partner_ids):
        """Lock the profiles of ``partner_ids`` in ``company`` without
        waiting; raise a clear error when another transaction (a scoring
        run's batch, another user) holds one."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        """SELECT id FROM crm_lifecycle_profile
                            WHERE company_id = %s AND partner_id = ANY(%s)
                              FOR NO KEY UPDATE NOWAIT""",
                        company.id,
                        list(partner_ids),
                    )
                )
        except errors.LockNotAvailable:
            raise UserError(
                self.env._(
                    "A scoring run or another user is updating this customer "
                    "right now. Try again in a moment."
                )
            ) from None

    def _lifecycle_set_stage(self, stage, reason, lock_until=False, churn_reason=None):
        """Set ``stage`` by hand with ``reason`` and lock it against the
        engine until ``lock_until`` (or until unlocked when empty).
        Managers only, checked here.

        :param churn_reason: a ``crm.lifecycle.churn.reason``, kept on the
            profile and the history row when ``stage`` is of kind churned;
            another stage clears the profile's churn reason
        """
        self._lifecycle_check_manager()
        self.check_access("write")
        if not reason or not reason.strip():
            raise UserError(self.env._("Give a reason for the stage override."))
        today = fields.Date.context_today(self)
        if lock_until and lock_until < today:
            raise UserError(self.env._("The lock must end today or later."))
        churned = stage.kind == "churned"
        churn_reason_id = churn_reason.id if churn_reason and churned else None
        history = [
            {
                "profile_id": profile.id,
                "partner_id": profile.partner_id.id,
                "company_id": profile.company_id.id,
                "from_stage_id": profile.stage_id.id or None,
                "from_kind": profile.stage_kind or None,
                "to_stage_id": stage.id,
                "to_kind": stage.kind,
                "reason": reason,
                "origin": "manual",
                "duration_days": (today - profile.stage_date).days
                if profile.stage_date
                else 0,
                "churn_reason_id": churn_reason_id,
            }
            for profile in self
        ]
        old_names = {profile.id: profile.stage_id.name or "-" for profile in self}
        self.sudo().write(
            {
                "stage_id": stage.id,
                "stage_date": today,
                "stage_locked": True,
                "lock_until": lock_until,
                "lock_reason": reason,
                "stage_valid_until": False,
                "churn_reason_id": churn_reason_id or False,
            }
        )
        self.env["crm.lifecycle.history"].sudo()._lifecycle_create_history(
            history, today, user=self.env.user
        )
        self.invalidate_recordset(["history_ids", "history_count"])
        self.sudo().partner_id._message_log_batch(
            {
                profile.partner_id.id: Markup("<p>%s</p>")
                % self.env._(
                    "Lifecycle stage in %(company)s set by hand: %(old)s → %(new)s. "
                    "Reason: %(reason)s",
                    company=profile.company_id.name,
                    old=old_names[profile.id],
                    new=stage.name,
                    reason=reason,
                )
                for profile in self
            }
        )
