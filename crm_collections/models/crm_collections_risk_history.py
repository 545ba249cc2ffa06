from odoo import api, fields, models

from .crm_lifecycle_profile_risk import RISK_LEVELS

# Columns of a row given to :meth:`_collections_create_history`.
RISK_HISTORY_KEYS = {
    "profile_id": "int4",
    "partner_id": "int4",
    "company_id": "int4",
    "date": "date",
    "old_level": "varchar",
    "new_level": "varchar",
    "score": "int4",
}


class CrmCollectionsRiskHistory(models.Model):
    """One change of a customer's financial risk level, written by the
    scoring (step ``financial_risk``)."""

    _name = "crm.collections.risk.history"
    _inherit = ["crm.lifecycle.profile.log.mixin"]
    _description = "Financial Risk Level Change"
    _order = "date desc, id desc"
    _rec_name = "new_level"
    _check_company_auto = True

    date = fields.Date(required=True, index=True, readonly=True)
    old_level = fields.Selection(
        RISK_LEVELS,
        string="From Level",
        readonly=True,
        help="Empty: the customer had no financial risk yet.",
    )
    new_level = fields.Selection(
        RISK_LEVELS,
        string="To Level",
        readonly=True,
        help="Empty: the customer no longer has a financial risk (no "
        "receivable activity in 12 months).",
    )
    score = fields.Integer(
        readonly=True, aggregator="avg", help="The financial risk score that day."
    )

    @api.model
    def _collections_create_history(self, rows):
        """Insert risk history rows in bulk, in one statement.

        :param rows: dicts with the keys of :data:`RISK_HISTORY_KEYS`
        """
        self._lifecycle_insert_log_rows(RISK_HISTORY_KEYS, rows)
