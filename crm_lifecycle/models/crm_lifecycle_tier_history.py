from odoo import api, fields, models

# Why a customer's tier changed (lib.tier_rules reasons that change the tier,
# and a tier taken away because it was archived or the customer objected).
TIER_REASONS = [
    ("new", "First tier"),
    ("promotion", "Promotion"),
    ("demotion", "Demotion after the grace period"),
    ("reassigned", "Tier archived or profiling objected"),
]

# Columns of a row given to :meth:`_lifecycle_create_tier_history`.
TIER_HISTORY_KEYS = {
    "profile_id": "int4",
    "partner_id": "int4",
    "company_id": "int4",
    "date": "date",
    "from_tier_id": "int4",
    "to_tier_id": "int4",
    "reason": "varchar",
}


class CrmLifecycleTierHistory(models.Model):
    """One change of a customer's loyalty tier, written by the scoring."""

    _name = "crm.lifecycle.tier.history"
    _inherit = ["crm.lifecycle.profile.log.mixin"]
    _description = "Customer Loyalty Tier Change"
    _order = "date desc, id desc"
    _rec_name = "to_tier_id"
    _check_company_auto = True

    date = fields.Date(required=True, index=True, readonly=True)
    from_tier_id = fields.Many2one(
        comodel_name="crm.lifecycle.tier",
        readonly=True,
        ondelete="restrict",
    )
    to_tier_id = fields.Many2one(
        comodel_name="crm.lifecycle.tier",
        readonly=True,
        ondelete="restrict",
        help="Empty: the customer lost its tier.",
    )
    reason = fields.Selection(TIER_REASONS, required=True, readonly=True)

    @api.model
    def _lifecycle_create_tier_history(self, rows):
        """Insert tier history rows in bulk, in one statement.

        :param rows: dicts with the keys of :data:`TIER_HISTORY_KEYS`
        """
        self._lifecycle_insert_log_rows(TIER_HISTORY_KEYS, rows)
