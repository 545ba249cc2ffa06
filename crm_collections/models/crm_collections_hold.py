from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

HOLD_REASONS = [
    ("risk", "Financial risk"),
    ("days_overdue", "Days overdue"),
    ("last_level", "Last dunning level"),
    ("credit_limit", "Credit limit exceeded"),
    ("manual", "Set by hand"),
]

# Fields a user may change on a hold through the form; everything else is
# written by the hold API (_collections_put_on_hold, _collections_lift) only.
USER_FIELDS = {"details"}


class CrmCollectionsHold(models.Model):
    """A credit hold of one customer (commercial entity) in one company.

    At most one active hold per customer and company (partial unique index
    ``crm_collections_hold_active_uniq``). Holds are set and lifted in sets by
    ``_collections_put_on_hold`` and ``_collections_lift`` (one statement per
    batch, idempotent); the automatic triggers live in
    ``crm_collections_hold_trigger.py``. Nothing is written on ``res_partner``.
    """

    _name = "crm.collections.hold"
    _description = "Credit Hold"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state, date_set desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('is_company', '=', True)]",
        help="The customer on hold (its commercial entity).",
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    state = fields.Selection(
        selection=[("active", "On Hold"), ("lifted", "Lifted")],
        required=True,
        default="active",
        readonly=True,
        index=True,
        help="On hold: sale orders of the customer in this company are refused "
        "to users who are not collections managers.",
    )
    reason = fields.Selection(
        selection=HOLD_REASONS,
        required=True,
        default="manual",
        readonly=True,
        index=True,
        help="What put the customer on hold. Automatic holds (all but 'Set by "
        "hand') are lifted by the evaluation when their cause is gone.",
    )
    details = fields.Text(
        required=True,
        help="Why, with the amounts when the hold was set.",
    )
    amount = fields.Monetary(
        readonly=True,
        help="The amount behind the hold when it was set: overdue amount or "
        "receivable balance, in the company currency.",
    )
    date_set = fields.Datetime(
        string="Set On", readonly=True, default=fields.Datetime.now
    )
    set_by_id = fields.Many2one(
        comodel_name="res.users",
        readonly=True,
        default=lambda self: self.env.user,
        help="The user who set the hold; OdooBot for the daily job.",
    )
    date_lifted = fields.Datetime(string="Lifted On", readonly=True)
    lifted_by_id = fields.Many2one(comodel_name="res.users", readonly=True)
    lift_reason = fields.Text(readonly=True)

    def init(self):
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS crm_collections_hold_active_uniq
                ON crm_collections_hold (partner_id, company_id)
             WHERE state = 'active'
            """
        )

    @api.depends("partner_id", "reason")
    def _compute_display_name(self):
        labels = dict(self._fields["reason"]._description_selection(self.env))
        for hold in self:
            hold.display_name = (
                f"{hold.partner_id.name or ''} ({labels.get(hold.reason, '')})"
            )

    # ------------------------------------------------------------
    # CRUD: users create manual holds and edit the details only
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")
        if not self.env.su:
            for vals in vals_list:
                if set(vals) & {
                    "state",
                    "reason",
                    "set_by_id",
                    "date_set",
                    "lifted_by_id",
                    "date_lifted",
                    "lift_reason",
                    "amount",
                }:
                    raise AccessError(
                        self.env._(
                            "A hold created by hand is a manual hold; its state "
                            "and origin are set by the system."
                        )
                    )
        partners = self.env["res.partner"].browse(
            [vals["partner_id"] for vals in vals_list if vals.get("partner_id")]
        )
        for vals in vals_list:
            if vals.get("partner_id"):
                partner = partners.browse(vals["partner_id"])
                vals["partner_id"] = partner.commercial_partner_id.id
            if not (vals.get("details") or "").strip():
                raise ValidationError(self.env._("A credit hold needs a reason."))
        for vals in vals_list:
            company_id = vals.get("company_id") or self.env.company.id
            if self._collections_active_hold_ids([vals["partner_id"]], company_id):
                raise ValidationError(
                    self.env._(
                        "%(partner)s is already on credit hold in this company.",
                        partner=partners.browse(vals["partner_id"]).display_name,
                    )
                )
        holds = super().create(vals_list)
        holds._collections_log_set()
        return holds

    def write(self, vals):
        if not self.env.su and set(vals) - USER_FIELDS - {"message_main_attachment_id"}:
            raise AccessError(
                self.env._(
                    "A credit hold is set and lifted by its buttons and the "
                    "daily evaluation only."
                )
            )
        return super().write(vals)

    def unlink(self):
        if not self.env.su:
            raise AccessError(
                self.env._("Credit holds are lifted, not deleted: they are a log.")
            )
        return super().unlink()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_lift(self):
        """Open the lift wizard (a reason is mandatory)."""
        self._collections_check_collector()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Lift Credit Hold"),
            "res_model": "crm.collections.hold.lift",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_hold_ids": self.filtered_domain([("state", "=", "active")]).ids
            },
        }

    @api.model
    def action_collections_evaluate_holds(self):
        """The "Re-evaluate holds" button: evaluate the triggers of the
        current company now."""
        if not self.env.user.has_group("crm_collections.group_collections_manager"):
            raise AccessError(
                self.env._("Only a collections manager can re-evaluate the holds.")
            )
        self.sudo()._collections_evaluate_holds(self.env.company)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def _collections_check_collector(self):
        if not self.env.su and not self.env.user.has_group(
            "crm_collections.group_collections_user"
        ):
            raise AccessError(self.env._("Only a collector can lift a credit hold."))

    # ------------------------------------------------------------
    # HOLD API (set-based)
    # ------------------------------------------------------------

    @api.model
    def _collections_active_hold_ids(self, partner_ids, company_id):
        """Ids of the active holds of ``partner_ids`` (commercial entities)
        in ``company_id``: ``{partner_id: hold_id}``."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT partner_id, id FROM crm_collections_hold
             WHERE state = 'active' AND company_id = %s AND partner_id = ANY(%s)
            """,
            [company_id, list(partner_ids)],
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _collections_put_on_hold(
        self, partners, company, reason, details, amounts=None
    ):
        """Put ``partners`` on credit hold in ``company``: one INSERT for the
        whole set, one batch of chatter messages. Idempotent: partners with an
        active hold in the company keep it (whatever its reason) and are not
        held twice.

        :param partners: ``res.partner`` records (their commercial entities
            are held)
        :param company: ``res.company``
        :param str reason: a code of ``HOLD_REASONS``
        :param details: the reason text, one ``str`` for all or a dict
            ``{partner_id: str}``
        :param dict amounts: optional ``{partner_id: amount}`` in the company
            currency (the overdue amount, the receivable balance...)
        :return: the holds created (``crm.collections.hold``)
        """
        commercial = partners.commercial_partner_id
        if not commercial:
            return self.browse()
        if reason not in dict(HOLD_REASONS):
            raise ValidationError(
                self.env._("Unknown credit hold reason %(reason)s.", reason=reason)
            )
        amounts = amounts or {}
        texts = [
            (details.get(pid) if isinstance(details, dict) else details) or ""
            for pid in commercial.ids
        ]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_collections_hold (
                    partner_id, company_id, state, reason, details, amount,
                    date_set, set_by_id, create_uid, create_date, write_uid,
                    write_date)
                SELECT p.partner_id, %(company)s, 'active', %(reason)s, p.details,
                       p.amount, NOW() AT TIME ZONE 'UTC', %(uid)s, %(uid)s,
                       NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM unnest(%(partners)s::int[], %(texts)s::text[],
                              %(amounts)s::numeric[]) AS p(partner_id, details, amount)
                ON CONFLICT (partner_id, company_id) WHERE state = 'active'
                DO NOTHING
                RETURNING id
                """,
                company=company.id,
                reason=reason,
                uid=self.env.uid,
                partners=commercial.ids,
                texts=texts,
                amounts=[amounts.get(pid) or 0.0 for pid in commercial.ids],
            )
        )
        holds = self.browse([row[0] for row in self.env.cr.fetchall()])
        holds.invalidate_recordset()
        holds._collections_log_set()
        return holds

    def _collections_lift(self, reason, automatic=False):
        """Lift the active holds in ``self`` with ``reason``: one UPDATE, one
        batch of chatter messages. Idempotent (lifted holds are skipped).
        A manual hold is lifted only by hand (``automatic=False``): with
        ``automatic=True`` the manual holds in ``self`` are left alone.

        :return: the holds lifted
        """
        if not automatic:
            self._collections_check_collector()
        if not (reason or "").strip():
            raise UserError(self.env._("Lifting a credit hold needs a reason."))
        holds = self.filtered(lambda hold: hold.state == "active")
        if automatic:
            holds = holds.filtered(lambda hold: hold.reason != "manual")
        if not holds:
            return holds
        self.env.flush_all()
        self.env.cr.execute(
            """
            UPDATE crm_collections_hold
               SET state = 'lifted', date_lifted = NOW() AT TIME ZONE 'UTC',
                   lifted_by_id = %(uid)s, lift_reason = %(reason)s,
                   write_uid = %(uid)s, write_date = NOW() AT TIME ZONE 'UTC'
             WHERE id = ANY(%(ids)s) AND state = 'active'
            RETURNING id
            """,
            {"uid": self.env.uid, "reason": reason, "ids": holds.ids},
        )
        lifted = self.browse([row[0] for row in self.env.cr.fetchall()]).sudo()
        lifted.invalidate_recordset()
        body = Markup("<p>%s</p><p>%s</p>") % (
            self.env._("Credit hold lifted."),
            reason,
        )
        lifted._message_log_batch(bodies={hold.id: body for hold in lifted})
        lifted.partner_id._message_log_batch(
            bodies={
                hold.partner_id.id: Markup("<p>%s</p><p>%s</p>")
                % (
                    self.env._(
                        "Credit hold in %(company)s lifted.",
                        company=hold.company_id.name,
                    ),
                    reason,
                )
                for hold in lifted
            }
        )
        return lifted.with_env(self.env)

    def _collections_log_set(self):
        """One batch of messages on the holds and on their customers."""
        if not self:
            return
        self = self.sudo()
        bodies = {
            hold.id: Markup("<p>%s</p><p>%s</p>")
            % (self.env._("Credit hold set."), hold.details or "")
            for hold in self
        }
        self.sudo()._message_log_batch(bodies=bodies)
        self.partner_id.sudo()._message_log_batch(
            bodies={
                hold.partner_id.id: Markup("<p>%s</p><p>%s</p>")
                % (
                    self.env._(
                        "Put on credit hold in %(company)s.",
                        company=hold.company_id.name,
                    ),
                    hold.details or "",
                )
                for hold in self
            }
        )

    def _collections_hold_message(self):
        """The text shown to a user stopped by this hold (sale order, portal)."""
        self.ensure_one()
        return self.env._(
            "%(partner)s is on credit hold in %(company)s: %(reason)s. %(details)s",
            partner=self.partner_id.display_name,
            company=self.company_id.name,
            reason=dict(self._fields["reason"]._description_selection(self.env)).get(
                self.reason
            ),
            details=self.details or "",
        )
