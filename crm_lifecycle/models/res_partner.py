from odoo import api, fields, models

from .crm_lifecycle_stage import STAGE_KINDS

LIFECYCLE_GROUPS = "crm_lifecycle.group_lifecycle_user,sales_team.group_sale_salesman"

# Fields of the current company's profile shown on the partner form.
PROFILE_FIELDS = {
    "lifecycle_currency_id": "currency_id",
    "lifecycle_stage_date": "stage_date",
    "lifecycle_stage_locked": "stage_locked",
    "lifecycle_lock_reason": "lock_reason",
    "lifecycle_rfm_code": "rfm_code",
    "lifecycle_first_purchase_date": "first_purchase_date",
    "lifecycle_last_purchase_date": "last_purchase_date",
    "lifecycle_purchase_count": "purchase_count",
    "lifecycle_purchase_count_12m": "purchase_count_12m",
    "lifecycle_revenue_12m": "revenue_12m",
    "lifecycle_revenue_total": "revenue_total",
    "lifecycle_avg_order_value": "avg_order_value",
    "lifecycle_avg_interval_days": "avg_interval_days",
    "lifecycle_history_ids": "history_ids",
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    lifecycle_profile_ids = fields.One2many(
        comodel_name="crm.lifecycle.profile",
        inverse_name="partner_id",
        string="Lifecycle Profiles",
        groups=LIFECYCLE_GROUPS,
    )
    # The current company's profile, shown on the form and searchable.
    lifecycle_profile_id = fields.Many2one(
        comodel_name="crm.lifecycle.profile",
        compute="_compute_lifecycle_profile",
        search="_search_lifecycle_profile_id",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_stage_id = fields.Many2one(
        comodel_name="crm.lifecycle.stage",
        compute="_compute_lifecycle_profile",
        search="_search_lifecycle_stage_id",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_stage_kind = fields.Selection(
        STAGE_KINDS,
        compute="_compute_lifecycle_profile",
        search="_search_lifecycle_stage_kind",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_segment_id = fields.Many2one(
        comodel_name="crm.lifecycle.segment",
        string="RFM Segment",
        compute="_compute_lifecycle_profile",
        search="_search_lifecycle_segment_id",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_history_count = fields.Integer(
        string="Stage Changes",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    # Figures of the current company's profile, for the Lifecycle page.
    lifecycle_currency_id = fields.Many2one(
        comodel_name="res.currency",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_stage_date = fields.Date(
        string="In Stage Since",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_stage_locked = fields.Boolean(
        string="Stage Locked",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_lock_reason = fields.Char(
        string="Override Reason",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_rfm_code = fields.Char(
        string="RFM",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_first_purchase_date = fields.Date(
        string="First Purchase",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_last_purchase_date = fields.Date(
        string="Last Purchase",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_purchase_count = fields.Integer(
        string="Purchase Occasions",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_purchase_count_12m = fields.Integer(
        string="Purchases (12 months)",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_revenue_12m = fields.Monetary(
        string="Revenue (12 months)",
        currency_field="lifecycle_currency_id",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_revenue_total = fields.Monetary(
        string="Lifetime Revenue",
        currency_field="lifecycle_currency_id",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_avg_order_value = fields.Monetary(
        string="Average Order Value",
        currency_field="lifecycle_currency_id",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_avg_interval_days = fields.Float(
        string="Days Between Purchases",
        digits=(16, 1),
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )
    lifecycle_history_ids = fields.Many2many(
        comodel_name="crm.lifecycle.history",
        compute="_compute_lifecycle_profile",
        groups=LIFECYCLE_GROUPS,
    )

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_lifecycle_profile(self):
        profiles = self.env["crm.lifecycle.profile"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {profile.partner_id.id: profile for profile in profiles}
        empty = self.env["crm.lifecycle.profile"]
        for partner in self:
            profile = by_partner.get(partner.commercial_partner_id.id, empty)
            partner.lifecycle_profile_id = profile
            partner.lifecycle_stage_id = profile.stage_id
            partner.lifecycle_stage_kind = profile.stage_kind
            partner.lifecycle_segment_id = profile.segment_id
            partner.lifecycle_history_count = profile.history_count
            for fname, profile_fname in PROFILE_FIELDS.items():
                partner[fname] = profile[profile_fname]

    def _lifecycle_profile_domain(self, domain):
        """Partners whose current-company profile (or whose commercial
        entity's profile) matches ``domain``."""
        profile_domain = [("company_id", "=", self.env.company.id), *domain]
        return [
            "|",
            ("lifecycle_profile_ids", "any", profile_domain),
            ("commercial_partner_id.lifecycle_profile_ids", "any", profile_domain),
        ]

    def _search_lifecycle_profile_id(self, operator, value):
        if operator in ("any", "not any"):
            domain = self._lifecycle_profile_domain(value)
            return ["!", *domain] if operator == "not any" else domain
        return self._lifecycle_profile_domain([("id", operator, value)])

    def _search_lifecycle_stage_id(self, operator, value):
        return self._lifecycle_profile_domain([("stage_id", operator, value)])

    def _search_lifecycle_stage_kind(self, operator, value):
        return self._lifecycle_profile_domain([("stage_kind", operator, value)])

    def _search_lifecycle_segment_id(self, operator, value):
        return self._lifecycle_profile_domain([("segment_id", operator, value)])

    def _lifecycle_get_profiles(self, company=None):
        """The profiles of these partners' commercial entities in
        ``company`` (the current one by default), created where missing."""
        company = company or self.env.company
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
        profiles = self._lifecycle_get_profiles()
        return profiles.action_recompute()

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
