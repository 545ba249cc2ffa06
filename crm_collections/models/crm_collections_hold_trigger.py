import logging

from odoo import api, fields, models
from odoo.tools import SQL, format_amount

from .crm_collections_aging import open_items_sql

_logger = logging.getLogger(__name__)


class CrmCollectionsHold(models.Model):
    """The automatic triggers of the credit holds and their set-based
    evaluation.

    A trigger is a method returning, for one company, the customers that
    must be on hold now: ``{partner_id: (details, amount)}``. The
    evaluation (``_collections_evaluate_holds``) puts them on hold (one
    INSERT per trigger) and lifts the automatic holds whose cause is gone
    (``_collections_hold_cleared``). To add a trigger, return one more
    ``reason: method name`` pair from ``_collections_hold_triggers`` (and,
    if "not triggered any more" is not the right lifting rule, define
    ``_collections_hold_cleared_<reason>``).
    """

    _inherit = "crm.collections.hold"

    @api.model
    def _collections_hold_triggers(self):
        """``{reason: method name}`` of the triggers evaluated by the job.
        ``last_level`` is set by the dunning run (``_dunning_on_last_level``)
        and ``manual`` by hand: they are not listed."""
        return {
            "days_overdue": "_collections_hold_trigger_days_overdue",
            "credit_limit": "_collections_hold_trigger_credit_limit",
        }

    # ------------------------------------------------------------
    # EVALUATION
    # ------------------------------------------------------------

    @api.model
    def _collections_evaluate_holds(self, company, today=None):
        """Evaluate every trigger of ``company`` for all its customers and
        lift the automatic holds whose cause is gone. Set-based: one query
        per trigger, one INSERT per reason, one UPDATE for the lifts.
        Idempotent. Returns ``(set, lifted)`` holds."""
        today = today or fields.Date.context_today(self)
        created = self.browse()
        found = {}
        for reason, method in self._collections_hold_triggers().items():
            found[reason] = getattr(self, method)(company, today)
            partners = self.env["res.partner"].browse(list(found[reason]))
            created |= self._collections_put_on_hold(
                partners,
                company,
                reason,
                {pid: text for pid, (text, __) in found[reason].items()},
                amounts={pid: amount for pid, (__, amount) in found[reason].items()},
            )
        active = self.search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "active"),
                ("reason", "!=", "manual"),
            ]
        )
        lifted = active._collections_lift_cleared(company, today, found)
        _logger.info(
            "Credit holds of %s: %s set, %s lifted",
            company.name,
            len(created),
            len(lifted),
        )
        return created, lifted

    def _collections_lift_cleared(self, company, today, found=None):
        """Lift the automatic holds in ``self`` (of ``company``) whose cause
        is gone. ``found``: the triggers' results already computed, by
        reason (the others are computed when needed). One UPDATE per
        reason."""
        found = {} if found is None else found
        active = self.filtered(
            lambda hold: hold.state == "active" and hold.reason != "manual"
        )
        lifted = self.browse()
        for reason in set(active.mapped("reason")):
            holds = active.filtered(lambda hold, reason=reason: hold.reason == reason)
            cleared = self._collections_hold_cleared(
                company, today, reason, set(holds.partner_id.ids), found
            )
            to_lift = holds.filtered(lambda hold, cl=cleared: hold.partner_id.id in cl)
            lifted |= to_lift._collections_lift(
                self.env._("Cause gone: automatically lifted."), automatic=True
            )
        return lifted

    @api.model
    def _collections_lift_paid(self, partners, company):
        """After a payment is reconciled: lift the automatic holds of
        ``partners`` in ``company`` whose cause is gone (one search; nothing
        when they have no hold)."""
        holds = self.sudo().search(
            [
                ("partner_id", "in", partners.commercial_partner_id.ids),
                ("company_id", "=", company.id),
                ("state", "=", "active"),
                ("reason", "!=", "manual"),
            ]
        )
        if holds:
            holds._collections_lift_cleared(company, fields.Date.context_today(self))

    @api.model
    def _collections_hold_cleared(self, company, today, reason, partner_ids, found):
        """The partners among ``partner_ids`` whose hold for ``reason`` has
        no cause any more. A ``_collections_hold_cleared_<reason>`` method
        decides when there is one; otherwise a partner is cleared when the
        trigger of the reason no longer selects it."""
        method = getattr(self, f"_collections_hold_cleared_{reason}", None)
        if method:
            return method(company, today, partner_ids)
        trigger = self._collections_hold_triggers().get(reason)
        if reason not in found and trigger:
            found[reason] = getattr(self, trigger)(company, today)
        if reason in found:
            return partner_ids - set(found[reason])
        return set()

    def _collections_hold_cleared_days_overdue(self, company, today, partner_ids):
        """Lifted when the customer has nothing overdue any more (paid): a
        customer back under the threshold but still late stays on hold."""
        overdue = self._collections_overdue_by_partner(company, today, partner_ids)
        return {pid for pid in partner_ids if not overdue.get(pid, (0, 0))[1] > 0}

    def _collections_hold_cleared_last_level(self, company, today, partner_ids):
        return self._collections_hold_cleared_days_overdue(company, today, partner_ids)

    # ------------------------------------------------------------
    # TRIGGERS
    # ------------------------------------------------------------

    @api.model
    def _collections_overdue_by_partner(self, company, today, partner_ids=None):
        """``{partner_id: (max days overdue, overdue amount)}`` of the
        commercial entities with posted, open receivable items of
        ``company`` (and its branches) due before ``today``: the open items
        of the aging (``open_items_sql``), aged at ``today``. One query."""
        self.env.flush_all()
        companies = company.sudo().search([("id", "child_of", company.id)])
        partner_filter = SQL()
        if partner_ids is not None:
            partner_filter = SQL("AND item.partner_id = ANY(%s)", list(partner_ids))
        self.env.cr.execute(
            SQL(
                """
                SELECT item.partner_id, MAX(item.days_overdue),
                       SUM(item.amount_residual)
                  FROM (%(items)s) item
                 WHERE item.amount_residual > 0
                   AND item.days_overdue > 0
                   %(partner_filter)s
                 GROUP BY item.partner_id
                """,
                items=open_items_sql(today, companies.ids),
                partner_filter=partner_filter,
            )
        )
        return {
            pid: (days, float(amount)) for pid, days, amount in self.env.cr.fetchall()
        }

    @api.model
    def _collections_hold_trigger_days_overdue(self, company, today):
        """Customers with a receivable more than the company's
        ``crm_collections_hold_days_overdue`` days past due (0: off)."""
        threshold = company.crm_collections_hold_days_overdue
        if threshold <= 0:
            return {}
        result = {}
        for pid, (days, amount) in self._collections_overdue_by_partner(
            company, today
        ).items():
            if days > threshold:
                result[pid] = (
                    self.env._(
                        "%(days)s days overdue (threshold %(threshold)s days), "
                        "%(amount)s overdue.",
                        days=days,
                        threshold=threshold,
                        amount=format_amount(self.env, amount, company.currency_id),
                    ),
                    amount,
                )
        return result

    @api.model
    def _collections_credit_limits(self, company, partner_ids):
        """``{partner_id: credit limit}`` of ``partner_ids`` in ``company``:
        Odoo's company-dependent ``res.partner.credit_limit`` (the partner's
        value for the company, else the company's default), read in one
        query. 0 means no limit."""
        Partner = self.env["res.partner"].with_company(company)
        fallback = (
            Partner._fields["credit_limit"].get_company_dependent_fallback(Partner)
            or 0.0
        )
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT id, (credit_limit ->> %s)::float FROM res_partner
             WHERE id = ANY(%s)
            """,
            [str(company.id), list(partner_ids)],
        )
        return {
            pid: (fallback if limit is None else limit)
            for pid, limit in self.env.cr.fetchall()
        }

    @api.model
    def _collections_hold_trigger_credit_limit(self, company, today):
        """Customers whose receivable balance exceeds their credit limit
        when the company uses Odoo's credit limits
        (``account_use_credit_limit``). The balance is Odoo's ``credit``
        (posted, unreconciled receivable lines of the company's root and
        branches) summed over the commercial entity, without the sale
        orders to invoice."""
        if not company.account_use_credit_limit:
            return {}
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT rp.commercial_partner_id, SUM(aml.amount_residual)
              FROM account_move_line aml
              JOIN account_account acc ON acc.id = aml.account_id
              JOIN res_partner rp ON rp.id = aml.partner_id
              JOIN res_company comp ON comp.id = aml.company_id
             WHERE acc.account_type = 'asset_receivable'
               AND aml.parent_state = 'posted'
               AND aml.reconciled IS NOT TRUE
               AND (comp.id = %(root)s OR comp.parent_path LIKE %(path)s)
             GROUP BY rp.commercial_partner_id
            HAVING SUM(aml.amount_residual) > 0
            """,
            {"root": company.root_id.id, "path": f"{company.root_id.parent_path}%"},
        )
        balances = dict(self.env.cr.fetchall())
        limits = self._collections_credit_limits(company, balances)
        result = {}
        for pid, balance in balances.items():
            limit = limits.get(pid) or 0.0
            balance = float(balance)
            if limit > 0 and company.currency_id.compare_amounts(balance, limit) > 0:
                result[pid] = (
                    self.env._(
                        "Receivable %(balance)s over the credit limit of %(limit)s.",
                        balance=format_amount(self.env, balance, company.currency_id),
                        limit=format_amount(self.env, limit, company.currency_id),
                    ),
                    balance,
                )
        return result
