# One step per file, each inheriting the pipeline, by design (see
# docs/architecture.md): a step is found, read and replaced on its own.
# pylint: disable=consider-merging-classes-inherited
from odoo import api, models
from odoo.tools import SQL

from .crm_lifecycle_scoring import STEP_SEQUENCES, ScoringStep

RFM_COLUMNS = {
    "recency_score": "int4",
    "frequency_score": "int4",
    "monetary_score": "int4",
    "rfm_code": "varchar",
    "segment_id": "int4",
}
# The figure each score ranks, in the order of the stored cut-points.
RFM_SOURCES = {
    "recency_score": ("last_purchase_date", "date"),
    "frequency_score": ("purchase_count", "int4"),
    "monetary_score": ("revenue_total", "numeric"),
}


class CrmLifecycleScoring(models.AbstractModel):
    """Step ``rfm``: recency, frequency and monetary scores 1-5 and the
    segment they fall in.

    A full scoring ranks the whole company by percent rank and stores the
    cut-points (the lowest value of each score) on its run; the scoring of a
    few customers places them against those cut-points instead of ranking
    the whole company again.
    """

    _inherit = "crm.lifecycle.scoring"

    @api.model
    def _scoring_steps(self):
        return super()._scoring_steps() + [
            ScoringStep(
                "rfm",
                STEP_SEQUENCES["rfm"],
                RFM_COLUMNS,
                reads=("last_purchase_date", "purchase_count", "revenue_total"),
            )
        ]

    @api.model
    def _scoring_select_rfm(self, ctx, source):
        """Scores of the customers of ``source``: ranked among all of them
        for a full scoring, placed against the last run's cut-points
        otherwise.

        A run whose customers' ranked figures (last purchase, purchase
        count, revenue) and segments are all as the stored profiles have
        them reuses the stored scores: the ranking would give them again.
        """
        if not ctx.full:
            return self._lifecycle_rfm_cut_query(
                source, self._lifecycle_rfm_cutpoints(ctx.company)
            )
        ranked = self._lifecycle_rfm_rank_query(
            SQL(
                "SELECT partner_id AS key, last_purchase_date, purchase_count, "
                "revenue_total FROM %s WHERE NOT no_profiling",
                source,
            )
        )
        if not ctx.incremental:
            return ranked
        ctx.step_keys["rfm"] = self._lifecycle_rfm_key()
        if ctx.previous_step_keys.get("rfm") != ctx.step_keys["rfm"]:
            return ranked
        return SQL(
            """
            WITH changed AS MATERIALIZED (
                SELECT COALESCE(bool_or(
                           p.id IS NULL
                           OR p.last_purchase_date
                              IS DISTINCT FROM s.last_purchase_date
                           OR p.purchase_count IS DISTINCT FROM s.purchase_count
                           OR p.revenue_total IS DISTINCT FROM s.revenue_total
                           OR p.no_profiling IS DISTINCT FROM s.no_profiling
                       ), FALSE) AS some_changed
                  FROM %(source)s s
             LEFT JOIN crm_lifecycle_profile p
                    ON p.partner_id = s.partner_id AND p.company_id = %(company)s
            )
            SELECT * FROM (%(ranked)s) ranked WHERE (SELECT some_changed FROM changed)
            UNION ALL
            SELECT p.partner_id, p.recency_score, p.frequency_score,
                   p.monetary_score, p.rfm_code, p.segment_id
              FROM crm_lifecycle_profile p
             WHERE p.company_id = %(company)s AND p.purchase_count > 0
               AND NOT p.no_profiling
               AND NOT (SELECT some_changed FROM changed)
            """,
            source=source,
            company=ctx.company.id,
            ranked=ranked,
        )

    @api.model
    def _lifecycle_rfm_key(self):
        """What the segments of the scores depend on."""
        self.env["crm.lifecycle.segment"].flush_model()
        self.env.cr.execute(
            """SELECT id, active, sequence, recency_min, recency_max,
                      frequency_min, frequency_max, monetary_min, monetary_max
                 FROM crm_lifecycle_segment ORDER BY id"""
        )
        return repr(self.env.cr.fetchall())

    @api.model
    def _scoring_summary_rfm(self, ctx, source):
        """The cut-points of a run's ranking, stored on the run."""
        if not (ctx.full and ctx.run):
            return SQL("NULL")
        return self._lifecycle_rfm_cutpoints_sql(source)

    @api.model
    def _scoring_store_summary_rfm(self, ctx, value):
        if ctx.full and ctx.run:
            ctx.run.rfm_cutpoints = value

    # ------------------------------------------------------------
    # CUT-POINTS
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_rfm_cutpoints_sql(self, source):
        """SQL of ``{score: [lowest value of score 2, 3, 4, 5]}`` (JSON, the
        values as text) over the scored rows of ``source``."""
        objects = []
        for score, (figure, _type) in RFM_SOURCES.items():
            values = SQL(", ").join(
                SQL(
                    "MIN(%s) FILTER (WHERE %s >= %s)::text",
                    SQL.identifier(figure),
                    SQL.identifier(score),
                    level,
                )
                for level in (2, 3, 4, 5)
            )
            objects.append(SQL("%s, json_build_array(%s)", score, values))
        return SQL(
            "SELECT json_build_object(%s) FROM %s AS source",
            SQL(", ").join(objects),
            source,
        )

    @api.model
    def _lifecycle_rfm_read_cutpoints(self, source):
        self.env.cr.execute(self._lifecycle_rfm_cutpoints_sql(SQL("(%s)", source)))
        return self.env.cr.fetchone()[0]

    @api.model
    def _lifecycle_rfm_cutpoints(self, company):
        """The cut-points of the last full run of ``company``, or, without
        one, those of its stored profiles (read-only)."""
        run = (
            self.env["crm.lifecycle.run"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "done"),
                    ("rfm_cutpoints", "!=", False),
                ],
                limit=1,
            )
        )
        if run:
            return run.rfm_cutpoints
        ranked = self._lifecycle_rfm_rank_query(
            SQL(
                """SELECT id AS key, last_purchase_date, purchase_count,
                          revenue_total
                     FROM crm_lifecycle_profile
                    WHERE company_id = %s AND NOT no_profiling""",
                company.id,
            )
        )
        return self._lifecycle_rfm_read_cutpoints(
            SQL(
                """SELECT profile.last_purchase_date, profile.purchase_count,
                          profile.revenue_total, ranked.recency_score,
                          ranked.frequency_score, ranked.monetary_score
                     FROM crm_lifecycle_profile profile
                     JOIN (%s) ranked ON ranked.key = profile.id""",
                ranked,
            )
        )

    @api.model
    def _lifecycle_rfm_cut_query(self, source, cuts):
        """SQL scoring the customers of ``source`` against ``cuts``: one plus
        the number of cut-points at or below the customer's value."""
        scored = []
        for score, (figure, sql_type) in RFM_SOURCES.items():
            scored.append(
                SQL(
                    """1 + (SELECT COUNT(*) FROM unnest(%s::%s[]) cut
                             WHERE cut <= w.%s) AS %s""",
                    cuts.get(score) or [],
                    SQL(sql_type),
                    SQL.identifier(figure),
                    SQL.identifier(score[0]),
                )
            )
        return self._lifecycle_rfm_segment_query(
            SQL(
                """SELECT w.partner_id AS key, %s FROM %s w
                    WHERE w.purchase_count > 0 AND NOT w.no_profiling""",
                SQL(", ").join(scored),
                source,
            )
        )

    # ------------------------------------------------------------
    # RANKING AND SEGMENTS
    # ------------------------------------------------------------

    @api.model
    def _lifecycle_rfm_rank_query(self, source):
        """SQL scoring recency, frequency and monetary value 1-5 by percent
        rank (``1 + floor(5 * percent_rank)``, capped at 5) and matching the
        first active segment by sequence.

        :param source: SQL selecting ``key``, ``last_purchase_date``,
            ``purchase_count`` and ``revenue_total`` of one company's
            customers; those without a purchase get no score
        :return: SQL selecting ``key``, the scores, ``rfm_code`` and
            ``segment_id``
        """
        return self._lifecycle_rfm_segment_query(
            SQL(
                """
                SELECT key,
                       LEAST(5, 1 + FLOOR(5 * PERCENT_RANK()
                           OVER (ORDER BY last_purchase_date)))::int AS r,
                       LEAST(5, 1 + FLOOR(5 * PERCENT_RANK()
                           OVER (ORDER BY purchase_count)))::int AS f,
                       LEAST(5, 1 + FLOOR(5 * PERCENT_RANK()
                           OVER (ORDER BY revenue_total)))::int AS m
                  FROM (%s) AS source
                 WHERE purchase_count > 0
                """,
                source,
            )
        )

    @api.model
    def _lifecycle_rfm_segment_query(self, scored):
        """SQL adding ``rfm_code`` and the segment to ``scored`` (``key``,
        ``r``, ``f``, ``m``)."""
        return SQL(
            """
            WITH scored AS (%s), grid AS MATERIALIZED (
                -- the segment of each of the 125 score combinations
                SELECT r, f, m,
                       (SELECT segment.id
                          FROM crm_lifecycle_segment segment
                         WHERE segment.active
                           AND r BETWEEN segment.recency_min AND segment.recency_max
                           AND f BETWEEN segment.frequency_min
                                     AND segment.frequency_max
                           AND m BETWEEN segment.monetary_min
                                     AND segment.monetary_max
                      ORDER BY segment.sequence, segment.id
                         LIMIT 1) AS segment_id
                  FROM generate_series(1, 5) r, generate_series(1, 5) f,
                       generate_series(1, 5) m
            )
            SELECT scored.key,
                   scored.r AS recency_score,
                   scored.f AS frequency_score,
                   scored.m AS monetary_score,
                   scored.r::text || scored.f::text || scored.m::text AS rfm_code,
                   grid.segment_id
              FROM scored
              JOIN grid ON grid.r = scored.r AND grid.f = scored.f
                       AND grid.m = scored.m
            """,
            scored,
        )

    @api.model
    def _lifecycle_compute_rfm(self, company):
        """Score RFM and match segments of ``company``'s profiles from their
        stored figures (after segments were edited).

        One statement; only rows whose scores or segment change are written.
        Returns the number of profiles written.
        """
        self._scoring_flush()
        rfm = self._lifecycle_rfm_rank_query(
            SQL(
                """SELECT id AS key, last_purchase_date, purchase_count,
                          revenue_total
                     FROM crm_lifecycle_profile
                    WHERE company_id = %s AND NOT no_profiling""",
                company.id,
            )
        )
        self.env.cr.execute(
            SQL(
                """
                WITH target AS (
                    SELECT profile.id, rfm.recency_score, rfm.frequency_score,
                           rfm.monetary_score, rfm.rfm_code, rfm.segment_id
                      FROM crm_lifecycle_profile profile
                 LEFT JOIN (%(rfm)s) AS rfm ON rfm.key = profile.id
                     WHERE profile.company_id = %(company)s
                )
                UPDATE crm_lifecycle_profile AS profile
                   SET recency_score = target.recency_score,
                       frequency_score = target.frequency_score,
                       monetary_score = target.monetary_score,
                       rfm_code = target.rfm_code,
                       segment_id = target.segment_id,
                       write_uid = %(uid)s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM target
                 WHERE profile.id = target.id
                   AND (profile.recency_score IS DISTINCT FROM target.recency_score
                        OR profile.frequency_score
                           IS DISTINCT FROM target.frequency_score
                        OR profile.monetary_score
                           IS DISTINCT FROM target.monetary_score
                        OR profile.segment_id IS DISTINCT FROM target.segment_id)
                """,
                rfm=rfm,
                company=company.id,
                uid=self.env.uid,
            )
        )
        updated = self.env.cr.rowcount
        self.env["crm.lifecycle.profile"].invalidate_model(
            [*RFM_COLUMNS, "write_uid", "write_date"]
        )
        return updated
