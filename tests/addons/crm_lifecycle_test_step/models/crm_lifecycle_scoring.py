from odoo import api, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.models.crm_lifecycle_scoring import ScoringStep
from odoo.addons.crm_lifecycle.models.crm_lifecycle_step_churn import ChurnComponent


class CrmLifecycleScoring(models.AbstractModel):
    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _scoring_steps(self):
        return super()._scoring_steps() + [
            ScoringStep(
                "opportunities",
                35,
                columns={"open_opportunity_count": "int4"},
                reads=("has_open_opportunity",),
            )
        ]

    @api.model
    def _scoring_prepare_opportunities(self, ctx):
        self.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s w SET open_opportunity_count = o.count
                  FROM (SELECT partner.commercial_partner_id AS partner_id,
                               COUNT(*) AS count
                          FROM crm_lead lead
                          JOIN res_partner partner ON partner.id = lead.partner_id
                         WHERE lead.company_id = ANY(%(companies)s)
                           AND lead.type = 'opportunity' AND lead.active
                           AND lead.probability < 100
                      GROUP BY 1) o
                 WHERE o.partner_id = w.partner_id AND w.has_open_opportunity
                """,
                table=ctx.sql_table,
                companies=ctx.company_ids,
            )
        )

    @api.model
    def _lifecycle_churn_components(self):
        return super()._lifecycle_churn_components() + [
            ChurnComponent(
                "no_deal",
                self.env._("No open opportunity"),
                "lifecycle_churn_weight_no_deal",
                lambda ctx, row: SQL(
                    "CASE WHEN %s.open_opportunity_count > 0 THEN 0 ELSE 1 END", row
                ),
                reads=("open_opportunity_count",),
            )
        ]
