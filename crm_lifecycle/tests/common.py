from datetime import date

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class LifecycleCommon(AccountTestInvoicingCommon):
    """Customers with posted invoices in a company with a chart of accounts."""

    TODAY = date(2026, 6, 30)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # The accounting test user also manages lifecycles.
        cls.env.user.groups_id += cls.env.ref("crm_lifecycle.group_lifecycle_manager")
        cls.company = cls.env.company
        cls.Profile = cls.env["crm.lifecycle.profile"]
        cls.Scoring = cls.env["crm.lifecycle.scoring"]
        cls.Run = cls.env["crm.lifecycle.run"]
        cls.Stage = cls.env["crm.lifecycle.stage"]
        cls.stages = cls.Stage._get_stage_by_kind()
        cls.company.write(
            {
                "lifecycle_new_days": 90,
                "lifecycle_loyal_min_purchases": 4,
                "lifecycle_loyal_min_tenure_days": 365,
                "lifecycle_at_risk_factor": 2.0,
                "lifecycle_at_risk_min_purchases": 3,
                "lifecycle_at_risk_default_days": 120,
                "lifecycle_churn_days": 365,
            }
        )
        cls.manager = new_test_user(
            cls.env,
            login="lc_manager",
            groups="base.group_user,crm_lifecycle.group_lifecycle_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    @classmethod
    def _customer(cls, name, **vals):
        return cls.env["res.partner"].create({"name": name, "is_company": True, **vals})

    @classmethod
    def _invoice(cls, partner, invoice_date, amount, move_type="out_invoice", **kw):
        return cls.init_invoice(
            move_type,
            partner=partner,
            invoice_date=invoice_date,
            amounts=[amount],
            taxes=[],
            post=kw.pop("post", True),
            **kw,
        )

    def _profile(self, partner, company=None):
        company = company or self.company
        return self.Profile.search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
        )

    def _score(self, partners, today=None, company=None):
        """Score ``company``'s customers as of ``today`` as the job does;
        return the profiles of ``partners``."""
        company = company or self.company
        self.env["crm.lifecycle.scoring"]._scoring_score_company(
            company, today or self.TODAY
        )
        return self.Profile.search(
            [("partner_id", "in", partners.ids), ("company_id", "=", company.id)]
        )
