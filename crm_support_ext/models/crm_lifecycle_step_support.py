# One step per file, each inheriting the pipeline, by design (see
# crm_lifecycle's docs/architecture.md).
# pylint: disable=consider-merging-classes-inherited
from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from odoo.addons.crm_lifecycle.models.crm_lifecycle_scoring import (
    STEP_SEQUENCES,
    ScoringStep,
)
from odoo.addons.crm_lifecycle.models.crm_lifecycle_step_churn import ChurnComponent

# ratings of 1 or 2 out of 5
POOR_RATING = 2
SUPPORT_WINDOW_DAYS = 365
SUPPORT_COMPONENTS = ("support_complaints", "support_breaches", "support_ratings")


class CrmLifecycleScoring(models.AbstractModel):
    """Step ``support``: per customer, its open complaints, its requests of
    the last 12 months with a breached SLA and its poor ratings of the last
    12 months; three churn-risk components read them. Customers without a
    request in the last 12 months nor an open complaint get NULL: the
    components do not apply to them (their churn risk is unchanged)."""

    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _scoring_steps(self):
        return super()._scoring_steps() + [
            ScoringStep(
                "support",
                STEP_SEQUENCES["support"],
                columns={
                    "support_open_complaints": "int4",
                    "support_sla_breaches": "int4",
                    "support_poor_ratings": "int4",
                },
            )
        ]

    @api.model
    def _scoring_flush(self):
        result = super()._scoring_flush()
        self.env["helpdesk.ticket"].flush_model(
            [
                "commercial_partner_id",
                "company_id",
                "type_id",
                "stage_id",
                "active",
                "sla_breached",
            ]
        )
        self.env["helpdesk.ticket.stage"].flush_model(["closed"])
        self.env["rating.rating"].flush_model()
        return result

    @api.model
    def _scoring_select_support(self, ctx, source):
        """A select step (composed into the pipeline's first INSERT): the
        counts per customer of ``source``; NULL for customers without a
        request in the window nor an open complaint (the components do not
        apply to them)."""
        complaint = self.env.ref(
            "crm_support_ext.helpdesk_ticket_type_complaint", raise_if_not_found=False
        )
        since = ctx.date - timedelta(days=SUPPORT_WINDOW_DAYS)
        open_complaint = SQL(
            "t.type_id = %s AND NOT COALESCE(stage.closed, FALSE)",
            complaint.id if complaint else 0,
        )
        return SQL(
            """
            SELECT src.partner_id, t.complaints, t.breaches, t.ratings
              FROM %(source)s src
         LEFT JOIN (
                SELECT t.commercial_partner_id AS partner_id,
                       COUNT(*) FILTER (WHERE %(open_complaint)s)::int4
                           AS complaints,
                       COUNT(*) FILTER (
                           WHERE t.sla_breached AND t.create_date >= %(since)s
                       )::int4 AS breaches,
                       COALESCE(SUM(r.poor), 0)::int4 AS ratings
                  FROM helpdesk_ticket t
             LEFT JOIN helpdesk_ticket_stage stage ON stage.id = t.stage_id
             LEFT JOIN LATERAL (
                       SELECT COUNT(*) AS poor
                         FROM rating_rating r
                        WHERE r.res_model = 'helpdesk.ticket'
                          AND r.res_id = t.id
                          AND r.consumed
                          AND r.rating > 0 AND r.rating <= %(poor)s
                          AND r.write_date >= %(since)s
                       ) r ON TRUE
                 WHERE t.company_id = ANY(%(companies)s) AND t.active
                   AND t.commercial_partner_id IS NOT NULL
              GROUP BY 1
                HAVING MAX(t.create_date) >= %(since)s
                    OR COUNT(*) FILTER (WHERE %(open_complaint)s) > 0
                   ) t ON t.partner_id = src.partner_id
            """,
            source=source,
            open_complaint=open_complaint,
            since=since,
            poor=POOR_RATING,
            companies=ctx.company_ids,
        )

    @api.model
    def _lifecycle_churn_components(self):
        def saturating(column):
            # 1 counts 50%, 2 count 75%, 3 count 87.5%...; NULL (not
            # applicable, no weight) for customers without recent requests
            return lambda ctx, row: SQL(
                "1 - POWER(0.5, %s.%s)", row, SQL.identifier(column)
            )

        return super()._lifecycle_churn_components() + [
            ChurnComponent(
                "support_complaints",
                self.env._("Open complaints"),
                "lifecycle_churn_weight_support_complaints",
                saturating("support_open_complaints"),
                reads=("support_open_complaints",),
            ),
            ChurnComponent(
                "support_breaches",
                self.env._("Requests with a missed SLA (12 months)"),
                "lifecycle_churn_weight_support_breaches",
                saturating("support_sla_breaches"),
                reads=("support_sla_breaches",),
            ),
            ChurnComponent(
                "support_ratings",
                self.env._("Poor satisfaction ratings (12 months)"),
                "lifecycle_churn_weight_support_ratings",
                saturating("support_poor_ratings"),
                reads=("support_poor_ratings",),
            ),
        ]
