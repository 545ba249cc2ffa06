from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.models import to_company_ids

from ..lib import tier_rules


class CrmLifecycleTier(models.Model):
    """A loyalty tier of a root company (Bronze, Silver, Gold...).

    A customer reaches a tier when it meets every threshold the tier sets
    (a threshold left at 0 is not used); among the tiers it reaches, the one
    with the highest rank wins. The tier step of the scoring pipeline
    promotes at once and demotes after the company's grace period.
    """

    _name = "crm.lifecycle.tier"
    _description = "Customer Loyalty Tier"
    _order = "company_id, sequence desc, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        string="Rank",
        required=True,
        default=10,
        help="Higher is better: among the tiers a customer reaches, the one "
        "with the highest rank wins. Ranks are unique within a company.",
    )
    active = fields.Boolean(default=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company.root_id,
        domain=[("parent_id", "=", False)],
        ondelete="cascade",
        help="The root company: invoices of its branches count for its tiers.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")

    # Thresholds (0: not used); all those set must be met
    min_revenue_12m = fields.Monetary(
        string="Minimum Revenue (12 months)",
        help="Untaxed revenue of the last 12 months (the profile's Revenue "
        "(12 months)) the customer needs. 0: not used.",
    )
    min_predicted_clv = fields.Monetary(
        string="Minimum Predicted Lifetime Value",
        help="Predicted lifetime value (from the value model) the customer "
        "needs. 0: not used.",
    )
    min_tenure_days = fields.Integer(
        string="Minimum Tenure (days)",
        help="Days since the customer's first purchase. 0: not used.",
    )

    # Benefits
    pricelist_id = fields.Many2one(
        comodel_name="product.pricelist",
        check_company=True,
        ondelete="set null",
        help="With the sales bridge (crm_lifecycle_sale_loyalty): new sale "
        "orders of the tier's customers use this pricelist, unless the customer "
        "has a pricelist of its own. Loyalty programmes limited to this "
        "pricelist are thereby limited to the tier.",
    )
    points_multiplier = fields.Float(
        default=1.0,
        digits=(16, 2),
        help="With the sales bridge: the loyalty points a confirmed sale order "
        "earns are multiplied by this factor.",
    )
    profile_count = fields.Integer(compute="_compute_profile_count", string="Customers")

    # ------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------

    def _compute_profile_count(self):
        counts = dict(
            self.env["crm.lifecycle.profile"]._read_group(
                [("tier_id", "in", self.ids)], ["tier_id"], ["__count"]
            )
        )
        for tier in self:
            tier.profile_count = counts.get(tier, 0)

    def _check_company_domain(self, companies):
        """Tiers belong to root companies and are shared with branches."""
        if not companies:
            return [("company_id", "=", False)]
        return [("company_id", "parent_of", to_company_ids(companies))]

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains(
        "min_revenue_12m", "min_predicted_clv", "min_tenure_days", "points_multiplier"
    )
    def _check_thresholds(self):
        for tier in self:
            if (
                tier.min_revenue_12m < 0
                or tier.min_predicted_clv < 0
                or tier.min_tenure_days < 0
            ):
                raise ValidationError(
                    self.env._(
                        "The thresholds of the tier %(tier)s cannot be negative "
                        "(0 leaves a threshold unused).",
                        tier=tier.name,
                    )
                )
            if tier.points_multiplier <= 0:
                raise ValidationError(
                    self.env._(
                        "The points multiplier of the tier %(tier)s must be "
                        "greater than 0.",
                        tier=tier.name,
                    )
                )

    @api.constrains("sequence", "company_id", "active")
    def _check_rank_unique(self):
        groups = self._read_group(
            [("company_id", "in", self.company_id.ids)],
            ["company_id", "sequence"],
            ["__count"],
            having=[("__count", ">", 1)],
        )
        if groups:
            company, rank, _count = groups[0]
            raise ValidationError(
                self.env._(
                    "Two active tiers of %(company)s have the rank %(rank)s: "
                    "give each tier its own rank.",
                    company=company.name,
                    rank=rank,
                )
            )

    @api.constrains("company_id")
    def _check_company_root(self):
        for tier in self:
            if tier.company_id.parent_id:
                raise ValidationError(
                    self.env._(
                        "Loyalty tiers belong to root companies: %(company)s is a "
                        "branch of %(root)s.",
                        company=tier.company_id.name,
                        root=tier.company_id.root_id.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        used = self.env["crm.lifecycle.profile"].sudo().search_count(
            [("tier_id", "in", self.ids)], limit=1
        ) or self.env["crm.lifecycle.tier.history"].sudo().search_count(
            ["|", ("from_tier_id", "in", self.ids), ("to_tier_id", "in", self.ids)],
            limit=1,
        )
        if used:
            raise UserError(
                self.env._(
                    "Customers have or had this loyalty tier: archive it instead "
                    "of deleting it."
                )
            )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _lifecycle_rule(self):
        """This tier as a :class:`~..lib.tier_rules.Tier`."""
        self.ensure_one()
        return tier_rules.Tier(
            rank=self.sequence,
            min_revenue_12m=float(self.min_revenue_12m or 0.0),
            min_predicted_clv=float(self.min_predicted_clv or 0.0),
            min_tenure_days=int(self.min_tenure_days or 0),
        )

    @api.model
    def _lifecycle_company_tiers(self, company):
        """The active tiers of the root ``company``, best first."""
        return (
            self.sudo()
            .with_context(active_test=True)
            .search([("company_id", "=", company.id)], order="sequence desc, id")
        )
