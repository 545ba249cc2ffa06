from odoo import api, fields, models
from odoo.tools import SQL

PAYMENT_RECORD_DAYS = 365


class ResPartner(models.Model):
    _inherit = "res.partner"

    # A configuration field set by a user: the dunning itself never writes
    # on res_partner. Company-dependent (Odoo 18 stores it as one jsonb
    # column keyed by company id), so each company picks its own policy.
    crm_collections_policy_id = fields.Many2one(
        comodel_name="crm.collections.policy",
        string="Dunning Policy",
        company_dependent=True,
        domain="[('company_id', '=', current_company_id)]",
        help="The dunning policy of this customer in the current company. "
        "Empty: the company's default policy.",
    )
    collections_dunning_contact = fields.Boolean(
        string="Dunning Contact",
        help="Payment reminders of the company go to this contact instead of "
        "the invoice address.",
    )
    crm_collections_line_count = fields.Integer(
        string="Dunning Letters",
        compute="_compute_crm_collections_counts",
        groups="crm_collections.group_collections_user",
    )
    crm_collections_promise_rate = fields.Float(
        string="Kept Promises (%)",
        compute="_compute_crm_collections_counts",
        groups="crm_collections.group_collections_user",
        help="Share of the customer's due promises to pay that were kept.",
    )

    def _compute_crm_collections_counts(self):
        commercial = self.commercial_partner_id
        lines = dict(
            self.env["crm.collections.line"]._read_group(
                [("partner_id", "in", commercial.ids)], ["partner_id"], ["__count"]
            )
        )
        promises = {}
        for partner, state, count in self.env["crm.collections.promise"]._read_group(
            [
                ("partner_id", "in", commercial.ids),
                ("state", "in", ("kept", "broken")),
            ],
            ["partner_id", "state"],
            ["__count"],
        ):
            promises.setdefault(partner, {})[state] = count
        for partner in self:
            root = partner.commercial_partner_id
            partner.crm_collections_line_count = lines.get(root, 0)
            counts = promises.get(root, {})
            due = counts.get("kept", 0) + counts.get("broken", 0)
            partner.crm_collections_promise_rate = (
                100.0 * counts.get("kept", 0) / due if due else 0.0
            )

    def action_crm_collections_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_collections.crm_collections_line_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------
    # PAYMENT RECORD (reused by the financial-risk issue)
    # ------------------------------------------------------------

    @api.model
    def _collections_payment_lines_sql(self, company, today, partner_ids=None):
        """SQL of the payments behind the payment record: one row
        ``(partner_id, amount, days_late, days_to_pay)`` per reconciliation
        (``account_partial_reconcile``) whose ``max_date`` falls in the 12
        months before ``today`` and whose debit side is a receivable line of
        a posted customer invoice of ``company`` (or of its branches), for
        the invoice's commercial partner. ``amount`` is the reconciled amount
        in company currency, ``days_late`` ``max(0, max_date -
        date_maturity)``, ``days_to_pay`` ``max(0, max_date -
        invoice_date)``. Reconciliations with a credit note are left out: a
        credit note is not a payment. Shared by the dunning (the payment
        record) and the scoring step ``payment`` (payment behaviour)."""
        partner_filter = SQL()
        if partner_ids is not None:
            partner_filter = SQL(
                "AND move.commercial_partner_id = ANY(%s)", list(partner_ids)
            )
        return SQL(
            """
            SELECT move.commercial_partner_id AS partner_id,
                   apr.amount AS amount,
                   GREATEST(apr.max_date - aml.date_maturity, 0) AS days_late,
                   GREATEST(apr.max_date - COALESCE(move.invoice_date, aml.date), 0)
                       AS days_to_pay
              FROM account_partial_reconcile apr
              JOIN account_move_line aml ON aml.id = apr.debit_move_id
              JOIN account_move move ON move.id = aml.move_id
              JOIN account_move_line credit ON credit.id = apr.credit_move_id
              JOIN account_move credit_move ON credit_move.id = credit.move_id
              JOIN res_company comp ON comp.id = aml.company_id
              JOIN account_account acc ON acc.id = aml.account_id
             WHERE acc.account_type = 'asset_receivable'
               AND move.move_type = 'out_invoice'
               AND move.state = 'posted'
               AND move.commercial_partner_id IS NOT NULL
               AND credit_move.move_type <> 'out_refund'
               AND aml.date_maturity IS NOT NULL
               AND (comp.id = %(company)s
                    OR comp.parent_path LIKE %(path)s)
               AND apr.max_date > %(since)s
               AND apr.max_date <= %(today)s
               %(partner_filter)s
            """,
            company=company.id,
            path=f"{company.parent_path}%",
            since=fields.Date.subtract(today, days=PAYMENT_RECORD_DAYS),
            today=today,
            partner_filter=partner_filter,
        )

    @api.model
    def _collections_payment_record_sql(self, company, today, partner_ids=None):
        """SQL of the payment record: one row ``(partner_id, avg_days_late,
        amount)`` per commercial partner of ``company`` (and its branches).

        The payment record is the amount-weighted average number of days
        customer invoices were paid late over the 12 months before ``today``,
        over the payments of :meth:`_collections_payment_lines_sql` (credit
        notes excluded): early or on-time payments count as 0. Used as a
        sub-query by the dunning generation.
        """
        return SQL(
            """
            SELECT pay.partner_id,
                   SUM(pay.days_late * pay.amount) / NULLIF(SUM(pay.amount), 0)
                       AS avg_days_late,
                   SUM(pay.amount) AS amount
              FROM (%s) pay
             GROUP BY pay.partner_id
            """,
            self._collections_payment_lines_sql(company, today, partner_ids),
        )

    @api.model
    def _collections_payment_record(self, company, partner_ids=None, today=None):
        """The payment record of the customers of ``company`` in one query:
        ``{partner_id: (avg_days_late, amount)}`` for the commercial partners
        (all of them, or ``partner_ids``) with a payment in the 12 months
        before ``today``. See ``_collections_payment_record_sql``.

        Reused by the financial-risk issue (issue 9) for its credit scoring:
        keep the signature stable.
        """
        today = today or fields.Date.context_today(self)
        self.env.flush_all()
        self.env.cr.execute(
            self._collections_payment_record_sql(company, today, partner_ids)
        )
        return {
            partner_id: (float(avg or 0.0), float(amount or 0.0))
            for partner_id, avg, amount in self.env.cr.fetchall()
        }
