# The batch machinery of the pipeline, beside its preparation in
# crm_lifecycle_scoring.py (same model, split by size).
# pylint: disable=consider-merging-classes-inherited
from odoo import api, models
from odoo.tools import SQL

from .crm_lifecycle_scoring import ScoringBatch


class CrmLifecycleScoring(models.AbstractModel):
    """Batches of the scoring pipeline: read the working rows and the
    profiles' state, let the steps decide, write the rows that change."""

    _inherit = "crm.lifecycle.scoring"

    # ------------------------------------------------------------
    # BATCHES
    # ------------------------------------------------------------

    @api.model
    def _scoring_run_batch(self, ctx, partner_ids):
        """Score ``partner_ids`` (ascending) from the working table: read,
        let each step decide, write the rows that change, let each step
        finish. Depends on nothing but the working table and the profiles.

        Returns the :class:`ScoringBatch`.
        """
        Profile = self.env["crm.lifecycle.profile"].sudo()
        batch = self._scoring_read_batch(ctx, partner_ids)
        for step in ctx.steps:
            method = getattr(self, f"_scoring_batch_{step.name}", None)
            if method:
                method(ctx, batch)
        self._scoring_write_batch(ctx, batch)
        for step in ctx.steps:
            method = getattr(self, f"_scoring_after_write_{step.name}", None)
            if method:
                method(ctx, batch)
        Profile.invalidate_model()
        return batch

    @api.model
    def _scoring_read_batch(self, ctx, partner_ids):
        """One query: the working-table rows of the batch with the profile's
        id and stage state."""
        state = self.env["crm.lifecycle.profile"]._lifecycle_state_columns()
        self.env.cr.execute(
            SQL(
                """
                SELECT %(state)s, w.*
                  FROM %(table)s w
             LEFT JOIN crm_lifecycle_profile p
                    ON p.partner_id = w.partner_id AND p.company_id = %(company)s
                 WHERE w.partner_id = ANY(%(batch)s)
                   AND w.partner_id BETWEEN %(first)s AND %(last)s
                """,
                state=SQL(", ").join(
                    SQL("p.%s", SQL.identifier(name)) for name in state
                ),
                table=ctx.sql_table,
                company=ctx.company.id,
                batch=partner_ids,
                first=partner_ids[0],
                last=partner_ids[-1],
            )
        )
        width = len(state)
        names = [column.name for column in self.env.cr.description[width:]]
        values, current = {}, {}
        for row in self.env.cr.fetchall():
            partner_id = row[width]
            values[partner_id] = dict(zip(names, row[width:], strict=True))
            if row[0]:
                current[partner_id] = dict(zip(state, row[:width], strict=True))
        return ScoringBatch(list(partner_ids), values, current)

    @api.model
    def _scoring_write_columns(self, ctx):
        """Columns of the working table that are stored fields of the
        profile, with the SQL value of each for a partner without a value
        (zero for numbers, false for booleans, NULL otherwise). Columns that
        a step decides in Python (``ScoringStep.python_columns``) are left
        out: the batch writes them from its ``python_values``."""
        if ctx.write_columns:
            return ctx.write_columns
        fields_ = self.env["crm.lifecycle.profile"]._fields
        for step in ctx.steps:
            for name in step.columns:
                field_ = fields_.get(name)
                if (
                    not field_
                    or not field_.store
                    or name == "partner_id"
                    or name in step.python_columns
                ):
                    continue
                column = SQL("w.%s", SQL.identifier(name))
                if field_.type in ("integer", "float", "monetary"):
                    value = SQL("COALESCE(%s, 0)", column)
                elif field_.type == "boolean":
                    value = SQL("COALESCE(%s, FALSE)", column)
                else:
                    value = column
                ctx.write_columns[name] = value
        return ctx.write_columns

    @api.model
    def _scoring_python_columns(self, ctx):
        """``{column: SQL type}`` of the columns decided in Python."""
        return {
            name: step.columns[name]
            for step in ctx.steps
            for name in step.python_columns
        }

    @api.model
    def _scoring_write_batch(self, ctx, batch):
        """Write the batch set-based: update the profiles whose values differ
        or that get their first stage, insert the missing ones, leave the
        others untouched. Sets ``batch.changed`` and adds the inserted
        profiles to ``batch.current``."""
        Profile = self.env["crm.lifecycle.profile"]
        columns = dict(self._scoring_write_columns(ctx))
        python = self._scoring_python_columns(ctx)
        initial = batch.decisions.get("initial_stage", {})
        partner_ids = batch.partner_ids
        stage_ids = [initial.get(pid) for pid in partner_ids]
        stages = (
            self.env["crm.lifecycle.stage"]
            .sudo()
            .browse({sid for sid in stage_ids if sid})
        )
        attrs = {stage.id: (stage.kind, stage.sequence) for stage in stages}
        arrays = [
            SQL("%s::int4[]", partner_ids),
            SQL("%s::int4[]", stage_ids),
            SQL("%s::varchar[]", [attrs[sid][0] if sid else None for sid in stage_ids]),
            SQL("%s::int4[]", [attrs[sid][1] if sid else None for sid in stage_ids]),
        ]
        aliases = ["partner_id", "stage_id", "kind", "sequence"]
        for name, sql_type in python.items():
            values = batch.python_values.get(name, {})
            arrays.append(
                SQL("%s::%s[]", [values.get(pid) for pid in partner_ids], SQL(sql_type))
            )
            aliases.append(f"py_{name}")
            columns[name] = SQL("b.%s", SQL.identifier(f"py_{name}"))
        source = SQL(
            """
            unnest(%(arrays)s) AS b(%(aliases)s)
            LEFT JOIN %(table)s w
                   ON w.partner_id = b.partner_id
                  AND w.partner_id BETWEEN %(first)s AND %(last)s
            """,
            arrays=SQL(", ").join(arrays),
            aliases=SQL(", ").join(SQL.identifier(alias) for alias in aliases),
            table=ctx.sql_table,
            first=partner_ids[0],
            last=partner_ids[-1],
        )
        names = [SQL.identifier(name) for name in columns]
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                UPDATE crm_lifecycle_profile AS p
                   SET %(assign)s,
                       stage_id = COALESCE(v.stage_id, p.stage_id),
                       stage_kind = COALESCE(v.kind, p.stage_kind),
                       stage_sequence = COALESCE(v.sequence, p.stage_sequence),
                       stage_date = CASE WHEN v.stage_id IS NULL THEN p.stage_date
                                         ELSE %(today)s END,
                       write_uid = %(uid)s,
                       write_date = NOW() AT TIME ZONE 'UTC'
                  FROM (SELECT b.partner_id, %(values)s, b.stage_id, b.kind,
                               b.sequence
                          FROM %(source)s) AS v(partner_id, %(names)s, stage_id,
                                                kind, sequence)
                 WHERE p.partner_id = v.partner_id
                   AND p.company_id = %(company)s
                   AND p.partner_id BETWEEN %(first)s AND %(last)s
                   AND (v.stage_id IS NOT NULL OR %(changed)s)
             RETURNING p.partner_id, p.id
                """,
                assign=SQL(", ").join(SQL("%s = v.%s", n, n) for n in names),
                values=SQL(", ").join(columns.values()),
                names=SQL(", ").join(names),
                changed=SQL(" OR ").join(
                    SQL("p.%s IS DISTINCT FROM v.%s", n, n) for n in names
                ),
                source=source,
                today=ctx.date,
                uid=self.env.uid,
                company=ctx.company.id,
                first=partner_ids[0],
                last=partner_ids[-1],
            )
        )
        written = dict(cr.fetchall())
        cr.execute(
            SQL(
                """
                INSERT INTO crm_lifecycle_profile
                       (partner_id, company_id, %(names)s, stage_id, stage_kind,
                        stage_sequence, stage_date, create_uid, create_date,
                        write_uid, write_date)
                SELECT b.partner_id, %(company)s, %(values)s, b.stage_id, b.kind,
                       b.sequence, %(today)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
                       %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM %(source)s
                 WHERE b.partner_id <> ALL(%(existing)s)
                ON CONFLICT (partner_id, company_id) DO NOTHING
             RETURNING partner_id, id
                """,
                names=SQL(", ").join(names),
                values=SQL(", ").join(columns.values()),
                source=source,
                existing=list(batch.current),
                today=ctx.date,
                uid=self.env.uid,
                company=ctx.company.id,
            )
        )
        inserted = dict(cr.fetchall())
        written.update(inserted)
        empty_state = dict.fromkeys(Profile._lifecycle_state_columns()[1:])
        for partner_id, profile_id in inserted.items():
            batch.current[partner_id] = {"id": profile_id, **empty_state}
        batch.changed = len(written)
        batch.inserted = len(inserted)
        Profile.invalidate_model()
