from odoo import fields, models
from odoo.tools import SQL


class CrmSupportKpiStage(models.Model):
    """Complaints per 100 customers by lifecycle stage: one row per
    customer profile with its complaints of the last 12 months, so that the
    pivot's mean of ``complaints_per_100`` is exact for any grouping."""

    _name = "crm.support.kpi.stage"
    _inherit = "crm.lifecycle.kpi.mixin"
    _auto = False
    _kpi_materialized = False
    _description = "Support Complaints by Lifecycle Stage"
    _order = "company_id, stage_id, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Customer", readonly=True
    )
    stage_id = fields.Many2one(
        comodel_name="crm.lifecycle.stage",
        string="Lifecycle Stage",
        readonly=True,
        help="The customer's lifecycle stage today.",
    )
    customer_count = fields.Integer(string="Customers", readonly=True)
    complaint_count = fields.Integer(
        string="Complaints",
        readonly=True,
        help="Requests of type Complaint of the customer (any contact of its "
        "commercial partner) created in the last 12 months, in the profile's "
        "root company.",
    )
    complaints_per_100 = fields.Float(
        string="Complaints per 100 Customers",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="100 x complaints of the last 12 months / customers (lifecycle "
        "profiles) of the group.",
    )

    def _kpi_query(self):
        return SQL(
            """
            WITH complaints AS (
                SELECT split_part(c.parent_path, '/', 1)::int4 AS company_id,
                       t.commercial_partner_id AS partner_id,
                       COUNT(*) AS n
                  FROM helpdesk_ticket t
                  JOIN res_company c ON c.id = t.company_id
                 WHERE t.create_date >= (now() AT TIME ZONE 'UTC')
                                        - interval '12 months'
                   AND t.commercial_partner_id IS NOT NULL
                   AND t.type_id IN (
                       SELECT res_id FROM ir_model_data
                        WHERE module = 'crm_support_ext'
                          AND name = 'helpdesk_ticket_type_complaint'
                          AND model = 'helpdesk.ticket.type')
              GROUP BY 1, 2
            )
            SELECT profile.id, profile.company_id, profile.partner_id,
                   profile.stage_id,
                   1 AS customer_count,
                   COALESCE(complaints.n, 0) AS complaint_count,
                   100.0 * COALESCE(complaints.n, 0) AS complaints_per_100
              FROM crm_lifecycle_profile profile
         LEFT JOIN complaints
                ON complaints.company_id = profile.company_id
               AND complaints.partner_id = profile.partner_id
            """
        )
