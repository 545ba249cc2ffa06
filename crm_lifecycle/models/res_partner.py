from odoo import api, fields, models

LIFECYCLE_GROUPS = "crm_lifecycle.group_lifecycle_user,sales_team.group_sale_salesman"
# Attributes of a field of the current company's profile shown on the
# contact: ``fields.Float(related="lifecycle_profile_id.x", **PROFILE_RELATED)``.
PROFILE_RELATED = {"depends_context": ("company",), "groups": LIFECYCLE_GROUPS}


class ResPartner(models.Model):
    """The current company's lifecycle profile on the contact.

    ``lifecycle_profile_id`` is the profile of the commercial entity in the
    current (root) company; every other field is a plain related field of
    it, so showing one more score on the contact is one line, and searching
    on it goes through the profile.
    """

    _inherit = "res.partner"

    lifecycle_profile_ids = fields.One2many(
        comodel_name="crm.lifecycle.profile",
        inverse_name="partner_id",
        string="Lifecycle Profiles",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_profile_id = fields.Many2one(
        comodel_name="crm.lifecycle.profile",
        compute="_compute_lifecycle_profile_id",
        search="_search_lifecycle_profile_id",
        groups=LIFECYCLE_GROUPS,
        help="The lifecycle of the commercial entity in the current company.",
    )
    # The profile's fields, for the Lifecycle page, filters and group-bys.
    lifecycle_stage_id = fields.Many2one(
        related="lifecycle_profile_id.stage_id", **PROFILE_RELATED
    )
    lifecycle_stage_kind = fields.Selection(
        related="lifecycle_profile_id.stage_kind",
        **PROFILE_RELATED,
    )
    lifecycle_segment_id = fields.Many2one(
        related="lifecycle_profile_id.segment_id", **PROFILE_RELATED
    )
    lifecycle_tier_id = fields.Many2one(
        related="lifecycle_profile_id.tier_id", **PROFILE_RELATED
    )
    lifecycle_history_count = fields.Integer(
        related="lifecycle_profile_id.history_count",
        string="Stage Changes",
        **PROFILE_RELATED,
    )
    lifecycle_currency_id = fields.Many2one(
        related="lifecycle_profile_id.currency_id",
        string="Lifecycle Currency",
        **PROFILE_RELATED,
    )
    lifecycle_stage_date = fields.Date(
        related="lifecycle_profile_id.stage_date", **PROFILE_RELATED
    )
    lifecycle_stage_locked = fields.Boolean(
        related="lifecycle_profile_id.stage_locked",
        string="Stage Locked",
        **PROFILE_RELATED,
    )
    lifecycle_lock_reason = fields.Char(
        related="lifecycle_profile_id.lock_reason", **PROFILE_RELATED
    )
    lifecycle_rfm_code = fields.Char(
        related="lifecycle_profile_id.rfm_code", **PROFILE_RELATED
    )
    lifecycle_first_purchase_date = fields.Date(
        related="lifecycle_profile_id.first_purchase_date", **PROFILE_RELATED
    )
    lifecycle_last_purchase_date = fields.Date(
        related="lifecycle_profile_id.last_purchase_date", **PROFILE_RELATED
    )
    lifecycle_purchase_count = fields.Integer(
        related="lifecycle_profile_id.purchase_count", **PROFILE_RELATED
    )
    lifecycle_purchase_count_12m = fields.Integer(
        related="lifecycle_profile_id.purchase_count_12m", **PROFILE_RELATED
    )
    lifecycle_revenue_12m = fields.Monetary(
        related="lifecycle_profile_id.revenue_12m",
        currency_field="lifecycle_currency_id",
        **PROFILE_RELATED,
    )
    lifecycle_revenue_total = fields.Monetary(
        related="lifecycle_profile_id.revenue_total",
        currency_field="lifecycle_currency_id",
        **PROFILE_RELATED,
    )
    lifecycle_avg_order_value = fields.Monetary(
        related="lifecycle_profile_id.avg_order_value",
        currency_field="lifecycle_currency_id",
        **PROFILE_RELATED,
    )
    lifecycle_avg_interval_days = fields.Float(
        related="lifecycle_profile_id.avg_interval_days",
        string="Days Between Purchases",
        **PROFILE_RELATED,
    )
    lifecycle_history_ids = fields.One2many(
        related="lifecycle_profile_id.history_ids", **PROFILE_RELATED
    )
    # Value and churn risk
    lifecycle_p_alive = fields.Float(
        related="lifecycle_profile_id.p_alive", **PROFILE_RELATED
    )
    lifecycle_predicted_clv = fields.Monetary(
        related="lifecycle_profile_id.predicted_clv",
        currency_field="lifecycle_currency_id",
        **PROFILE_RELATED,
    )
    lifecycle_expected_order_value = fields.Monetary(
        related="lifecycle_profile_id.expected_order_value",
        currency_field="lifecycle_currency_id",
        **PROFILE_RELATED,
    )
    lifecycle_expected_purchases_365 = fields.Float(
        related="lifecycle_profile_id.expected_purchases_365", **PROFILE_RELATED
    )
    lifecycle_next_purchase_date = fields.Date(
        related="lifecycle_profile_id.next_purchase_date", **PROFILE_RELATED
    )
    lifecycle_value_segment_id = fields.Many2one(
        related="lifecycle_profile_id.value_segment_id", **PROFILE_RELATED
    )
    lifecycle_churn_risk = fields.Integer(
        related="lifecycle_profile_id.churn_risk", **PROFILE_RELATED
    )
    lifecycle_churn_level = fields.Selection(
        related="lifecycle_profile_id.churn_level", **PROFILE_RELATED
    )
    lifecycle_churn_explanation = fields.Html(
        related="lifecycle_profile_id.churn_explanation", **PROFILE_RELATED
    )
    # The right to object to profiling (GDPR art. 21): kept on the
    # commercial entity and its contacts.
    lifecycle_no_profiling = fields.Boolean(
        string="Objects to Profiling",
        tracking=True,
        help="The customer objects to profiling: its RFM, value and churn "
        "scores are cleared and no scoring computes them again; its purchase "
        "figures and lifecycle stage are kept.",
    )

    # Contact playbooks: per-channel "do not contact" flags, on the
    # commercial entity and its contacts
    lifecycle_no_contact_activity = fields.Boolean(
        string="No Playbook Activities",
        tracking=True,
        help="The contact playbooks schedule no activity to contact this "
        "customer. Reminders of a debt (collections) are not playbooks and "
        "are not stopped by this.",
    )
    lifecycle_no_contact_email = fields.Boolean(
        string="No Playbook Emails",
        tracking=True,
        help="The contact playbooks send no email to this customer. Reminders "
        "of a debt (collections) are not playbooks and are not stopped by this.",
    )
    lifecycle_open_activity_ids = fields.Many2many(
        comodel_name="mail.activity",
        compute="_compute_lifecycle_open_activity_ids",
        string="Open Activities of the Customer",
        groups=LIFECYCLE_GROUPS,
        help="Open activities on any record of the customer, with their "
        "reason and owner.",
    )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + [
            "lifecycle_no_profiling",
            "lifecycle_no_contact_activity",
            "lifecycle_no_contact_email",
        ]

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_lifecycle_open_activity_ids(self):
        activities = self._lifecycle_open_activities()
        by_partner = {}
        for activity in activities:
            by_partner.setdefault(activity.lifecycle_partner_id.id, []).append(
                activity.id
            )
        for partner in self:
            partner.lifecycle_open_activity_ids = [
                fields.Command.set(by_partner.get(partner.commercial_partner_id.id, []))
            ]

    def _lifecycle_open_activities_domain(self):
        """Domain of the open activities shown on these contacts: those
        tagged with their commercial partner (``lifecycle_partner_id``).
        Override to add activities of your records, e.g. ``['|', *super(),
        ('res_model', '=', 'my.model'), ...]``; each activity must have a
        ``lifecycle_partner_id`` to be shown against its customer."""
        return [("lifecycle_partner_id", "in", self.commercial_partner_id.ids)]

    def _lifecycle_open_activities(self):
        """The open activities of these contacts' commercial partners, on
        any record, that the user may read: the Lifecycle page's panel.
        The hook of the collections and support addons: tag the activities
        you create with ``lifecycle_reason`` and ``lifecycle_partner_id``,
        or extend :meth:`_lifecycle_open_activities_domain`."""
        if not self.commercial_partner_id:
            return self.env["mail.activity"]
        return self.env["mail.activity"].search(
            self._lifecycle_open_activities_domain(),
            order="date_deadline, id",
        )

    def write(self, vals):
        result = super().write(vals)
        if vals.get("lifecycle_no_profiling"):
            self.env["crm.lifecycle.profile"].sudo().search(
                [("partner_id", "in", self.commercial_partner_id.ids)]
            )._lifecycle_clear_profiling()
        return result

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_lifecycle_profile_id(self):
        profiles = self.env["crm.lifecycle.profile"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.root_id.id),
            ]
        )
        by_partner = {profile.partner_id.id: profile for profile in profiles}
        empty = self.env["crm.lifecycle.profile"]
        for partner in self:
            partner.lifecycle_profile_id = by_partner.get(
                partner.commercial_partner_id.id, empty
            )

    def _search_lifecycle_profile_id(self, operator, value):
        if operator in ("any", "not any"):
            domain = self._lifecycle_profile_domain(value)
            return ["!", *domain] if operator == "not any" else domain
        return self._lifecycle_profile_domain([("id", operator, value)])

    def _lifecycle_profile_domain(self, domain):
        """Partners whose current-company profile (or whose commercial
        entity's profile) matches ``domain``."""
        profile_domain = [("company_id", "=", self.env.company.root_id.id), *domain]
        return [
            "|",
            ("lifecycle_profile_ids", "any", profile_domain),
            ("commercial_partner_id.lifecycle_profile_ids", "any", profile_domain),
        ]

    def _lifecycle_get_profiles(self, company=None):
        """The profiles of these partners' commercial entities in
        ``company`` (the current one's root by default), created where
        missing."""
        company = (company or self.env.company).root_id
        Profile = self.env["crm.lifecycle.profile"].sudo()
        commercial = self.commercial_partner_id
        profiles = Profile.search(
            [("partner_id", "in", commercial.ids), ("company_id", "=", company.id)]
        )
        missing = commercial - profiles.partner_id
        profiles |= Profile.create(
            [
                {"partner_id": partner.id, "company_id": company.id}
                for partner in missing
            ]
        )
        return profiles.sudo(False)

    def action_lifecycle_recompute(self):
        return self._lifecycle_get_profiles().action_recompute()

    def action_lifecycle_override_stage(self):
        return self._lifecycle_get_profiles().action_override_stage()

    def action_lifecycle_open_profile(self):
        self.ensure_one()
        profile = self._lifecycle_get_profiles()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lifecycle.profile",
            "res_id": profile.id,
            "view_mode": "form",
        }

    def action_lifecycle_view_history(self):
        self.ensure_one()
        return self._lifecycle_get_profiles().action_view_history()
