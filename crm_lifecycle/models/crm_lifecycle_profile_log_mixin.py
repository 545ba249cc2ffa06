from odoo import api, fields, models
from odoo.tools import SQL


def insert_rows(cr, table, keys, rows, constants):
    """Insert ``rows`` (dicts, a missing key is NULL) into ``table`` in one
    statement: the columns ``keys`` (``{column: SQL type}``) from arrays,
    then the ``constants`` (``{column: value}``) the same for every row."""
    cr.execute(
        SQL(
            """
            INSERT INTO %(table)s (%(names)s)
            SELECT v.*, %(constants)s FROM unnest(%(arrays)s) AS v
            """,
            table=SQL.identifier(table),
            names=SQL(", ").join(
                SQL.identifier(column) for column in [*keys, *constants]
            ),
            constants=SQL(", ").join(SQL("%s", value) for value in constants.values()),
            arrays=SQL(", ").join(
                SQL("%s::%s[]", [row.get(key) for row in rows], SQL(sql_type))
                for key, sql_type in keys.items()
            ),
        )
    )


class CrmLifecycleProfileLogMixin(models.AbstractModel):
    """What the change logs that the scoring writes per profile share (the
    stage, tier and financial-risk histories): the profile, its customer and
    company, and a bulk insert of one statement per batch.

    A log inherits it, sets ``_check_company_auto = True`` and adds its
    ``date`` and its own columns."""

    _name = "crm.lifecycle.profile.log.mixin"
    _description = "Customer Profile Change Log"

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

    @api.model
    def _lifecycle_batch_rows(self, ctx, batch, changes):
        """The log rows of a scoring batch's ``changes`` (``{partner_id:
        {column: value}}``): each with its profile, customer, company and
        the scoring's date. A partner whose profile the batch did not find
        nor create (created meanwhile by another transaction) is left out."""
        rows = []
        for partner_id, values in changes.items():
            state = batch.current.get(partner_id)
            if not state:
                continue
            rows.append(
                {
                    "profile_id": state["id"],
                    "partner_id": partner_id,
                    "company_id": ctx.company.id,
                    "date": ctx.date,
                    **values,
                }
            )
        return rows

    @api.model
    def _lifecycle_insert_log_rows(self, keys, rows):
        """Insert ``rows`` (dicts with the keys of ``keys``: ``{column: SQL
        type}``) in one statement, created and written by the current user
        now."""
        if not rows:
            return
        uid = self.env.uid
        now = SQL("NOW() AT TIME ZONE 'UTC'")
        insert_rows(
            self.env.cr,
            self._table,
            keys,
            rows,
            {
                "create_uid": uid,
                "create_date": now,
                "write_uid": uid,
                "write_date": now,
            },
        )
        self.invalidate_model()
