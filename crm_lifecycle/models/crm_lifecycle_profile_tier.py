# The loyalty tier of the profile, beside its stage and figures in
# crm_lifecycle_profile.py (same model, split by size).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models


class CrmLifecycleProfile(models.Model):
    _inherit = "crm.lifecycle.profile"

    # Engine fields (readonly: the profile's write guard refuses them)
    tier_id = fields.Many2one(
        comodel_name="crm.lifecycle.tier",
        string="Loyalty Tier",
        readonly=True,
        index=True,
        ondelete="restrict",
        help="Set by the scoring: the highest-ranked tier whose thresholds the "
        "customer meets. Promoted at once, demoted only after the grace period.",
    )
    tier_date = fields.Date(
        string="Tier Since",
        readonly=True,
        help="The day the customer got its current tier.",
    )
    tier_below_since = fields.Date(
        string="Below Tier Since",
        readonly=True,
        help="The customer no longer meets its tier's thresholds since this "
        "day; it keeps its tier until the grace period (Settings) has passed.",
    )
    tier_history_ids = fields.One2many(
        comodel_name="crm.lifecycle.tier.history",
        inverse_name="profile_id",
    )

    @api.model
    def _lifecycle_state_columns(self):
        """The tier state the tier step reads, too."""
        return super()._lifecycle_state_columns() + [
            "tier_id",
            "tier_date",
            "tier_below_since",
        ]
