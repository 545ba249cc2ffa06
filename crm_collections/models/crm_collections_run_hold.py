import threading

from odoo import api, fields, models
from odoo.tools import format_amount


class CrmCollectionsRun(models.Model):
    """Credit holds in the dunning job: the holds are evaluated before the
    runs, and a customer reaching the last level is put on hold."""

    _inherit = "crm.collections.run"

    @api.model
    def _cron_collections_run(self, today=None):
        """Evaluate the credit holds of every company with a default policy
        or a hold threshold, then generate the runs."""
        today = today or fields.Date.context_today(self)
        Hold = self.env["crm.collections.hold"].sudo()
        companies = (
            self.env["crm.collections.policy"]
            .sudo()
            .search([("is_default", "=", True)])
            .company_id
        )
        companies |= (
            self.env["res.company"]
            .sudo()
            .search(
                [
                    "|",
                    ("crm_collections_hold_days_overdue", ">", 0),
                    "|",
                    ("crm_collections_hold_risk_score", ">", 0),
                    ("account_use_credit_limit", "=", True),
                ]
            )
        )
        for company in companies:
            Hold._collections_evaluate_holds(company, today)
            self._collections_commit()
        return super()._cron_collections_run(today=today)

    def _collections_commit(self):
        if not getattr(threading.current_thread(), "testing", False):
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _dunning_on_last_level(self, partners, company):
        """Customers reaching the last level are put on credit hold."""
        res = super()._dunning_on_last_level(partners, company)
        Hold = self.env["crm.collections.hold"].sudo()
        overdue = Hold._collections_overdue_by_partner(
            company, fields.Date.context_today(self), partners.commercial_partner_id.ids
        )
        details = {
            partner.id: self.env._(
                "Last dunning level reached, %(amount)s overdue.",
                amount=format_amount(
                    self.env, overdue.get(partner.id, (0, 0.0))[1], company.currency_id
                ),
            )
            for partner in partners.commercial_partner_id
        }
        Hold._collections_put_on_hold(
            partners,
            company,
            "last_level",
            details,
            amounts={pid: value[1] for pid, value in overdue.items()},
        )
        return res
