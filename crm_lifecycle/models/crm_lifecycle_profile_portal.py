# The profile's loyalty tier as the customer sees it on the portal, beside
# its stage and figures in crm_lifecycle_profile.py (same model, split by size).
# pylint: disable=consider-merging-classes-inherited
from datetime import timedelta

from odoo import fields, models


class CrmLifecycleProfile(models.Model):
    _inherit = "crm.lifecycle.profile"

    def _lifecycle_portal_tier_values(self):
        """What the portal page /my/tier shows of this profile (read with
        sudo by the controller, for the user's own commercial partner only):
        the tier, until when a tier in its grace period is kept, the next
        tier and the progress towards each of its thresholds. Amounts are the
        customer's own revenue; the predicted lifetime value is never
        returned, only a percentage of the next tier's threshold."""
        tier = self.tier_id
        company = self.company_id or self.env.user.company_id.root_id
        tiers = self.env["crm.lifecycle.tier"].sudo()._lifecycle_company_tiers(company)
        higher = tiers.filtered(lambda t: not tier or t.sequence > tier.sequence)
        next_tier = higher.sorted("sequence")[:1]
        kept_until = False
        if tier and self.tier_below_since:
            kept_until = self.tier_below_since + timedelta(
                days=company.lifecycle_tier_grace_days
            )
        return {
            "tier": tier,
            "tier_date": self.tier_date,
            "tier_kept_until": kept_until,
            "next_tier": next_tier,
            "progress": self._lifecycle_portal_progress(next_tier) if next_tier else [],
            "currency": company.currency_id,
        }

    def _lifecycle_portal_progress(self, tier):
        """One line per threshold ``tier`` sets: ``{"label", "percent",
        "current", "target", "kind"}``. ``kind`` is ``"amount"``, ``"days"``
        or ``"percent"`` (only the percentage is shown)."""
        lines = []

        def percent(current, target):
            return min(100, int(100 * max(current, 0) / target)) if target else 100

        if tier.min_revenue_12m > 0:
            lines.append(
                {
                    "label": self.env._("Purchases in the last 12 months"),
                    "kind": "amount",
                    "current": max(self.revenue_12m, 0.0),
                    "target": tier.min_revenue_12m,
                    "percent": percent(self.revenue_12m, tier.min_revenue_12m),
                }
            )
        if tier.min_tenure_days > 0:
            today = fields.Date.context_today(self)
            tenure = (
                (today - self.first_purchase_date).days
                if self.first_purchase_date
                else 0
            )
            lines.append(
                {
                    "label": self.env._("Days as a customer"),
                    "kind": "days",
                    "current": tenure,
                    "target": tier.min_tenure_days,
                    "percent": percent(tenure, tier.min_tenure_days),
                }
            )
        if tier.min_predicted_clv > 0:
            lines.append(
                {
                    "label": self.env._("Customer value"),
                    "kind": "percent",
                    "current": False,
                    "target": False,
                    "percent": percent(self.predicted_clv, tier.min_predicted_clv),
                }
            )
        return lines
