from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.models.crm_lifecycle_history import insert_rows

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
    _description = "Financial Risk Level Change"
    _order = "date desc, id desc"
    _rec_name = "new_level"
    _check_company_auto = True

    profile_id = fields.Many2one(
        comodel_name="crm.lifecycle.profile",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
        check_company=True,
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
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
        if not rows:
            return
        uid = self.env.uid
        now = SQL("NOW() AT TIME ZONE 'UTC'")
        insert_rows(
            self.env.cr,
            self._table,
            RISK_HISTORY_KEYS,
            rows,
            {
                "create_uid": uid,
                "create_date": now,
                "write_uid": uid,
                "write_date": now,
            },
        )
        self.invalidate_model()
