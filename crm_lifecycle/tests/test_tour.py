from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestLifecycleTour(HttpCase):
    def test_override_stage_from_customer_form(self):
        Demo = self.env["crm.lifecycle.demo"]
        company = self.env.ref("base.main_company")
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Motors", "is_company": True}
        )
        today = fields.Date.today()
        self.env["account.move"].create(
            [
                Demo._demo_invoice_vals(
                    "out_invoice", customer, journal, today, days_ago, 500
                )
                for days_ago in (700, 600, 500)
            ]
        ).action_post()
        profiles = customer.with_company(company)._lifecycle_get_profiles(company)
        profiles._lifecycle_recompute()
        self.assertEqual(profiles.stage_kind, "churned")

        self.start_tour(
            f"/odoo/contacts/{customer.id}",
            "crm_lifecycle_override_stage",
            login="admin",
        )
        self.assertEqual(profiles.stage_kind, "loyal")
        self.assertTrue(profiles.stage_locked)
        self.assertEqual(
            profiles.history_ids.sorted("id")[-1].reason, "Key account renegotiating"
        )
        admin = self.env.ref("base.user_admin")
        self.assertEqual(
            profiles.stage_date, fields.Date.context_today(profiles.with_user(admin))
        )
        self.assertFalse(profiles.lock_until)

    def test_value_model_holdout(self):
        """A manager opens the model card, runs the holdout validation (the
        background job runs it), then reads the chart and the table."""
        Demo = self.env["crm.lifecycle.demo"]
        company = self.env.ref("base.main_company")
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        today = fields.Date.today()
        customers = self.env["res.partner"].create(
            [{"name": f"Holdout Tour {i}", "is_company": True} for i in range(30)]
        )
        vals = []
        for index, customer in enumerate(customers):
            for k in range(index % 6 + 1):
                days_ago = 600 - 13 * index - 50 * k
                if days_ago > 0:
                    vals.append(
                        Demo._demo_invoice_vals(
                            "out_invoice", customer, journal, today, days_ago, 100
                        )
                    )
        self.env["account.move"].create(vals).action_post()
        Card = self.env["crm.lifecycle.value.model"]
        card = Card._lifecycle_fit(company, today)
        self.start_tour(
            "/odoo/action-crm_lifecycle.crm_lifecycle_value_model_action",
            "crm_lifecycle_value_model_holdout",
            login="admin",
        )
        self.assertEqual(card.holdout_state, "queued")
        self.assertEqual(card.holdout_weeks, 26)
        Card._cron_lifecycle_value_holdout()
        self.assertEqual(card.holdout_state, "done", card.holdout_message)
        self.start_tour(
            f"/odoo/action-crm_lifecycle.crm_lifecycle_value_model_action/{card.id}",
            "crm_lifecycle_value_model_read",
            login="admin",
        )

    def _tier_customer(self):
        """A customer promoted from Tour Bronze to Tour Silver today."""
        Demo = self.env["crm.lifecycle.demo"]
        company = self.env.ref("base.main_company")
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        self.env["crm.lifecycle.tier"].create(
            [
                {
                    "name": "Tour Bronze",
                    "sequence": 910,
                    "company_id": company.id,
                    "min_revenue_12m": 1000,
                },
                {
                    "name": "Tour Silver",
                    "sequence": 920,
                    "company_id": company.id,
                    "min_revenue_12m": 6000,
                },
            ]
        )
        customer = self.env["res.partner"].create(
            {"name": "Tour Tiers", "is_company": True}
        )
        today = fields.Date.today()
        self.env["account.move"].create(
            Demo._demo_invoice_vals("out_invoice", customer, journal, today, 200, 1500)
        ).action_post()
        Scoring = self.env["crm.lifecycle.scoring"]
        Scoring._scoring_score_partners(
            company, today - timedelta(days=150), customer.ids
        )
        self.env["account.move"].create(
            Demo._demo_invoice_vals("out_invoice", customer, journal, today, 100, 5000)
        ).action_post()
        Scoring._scoring_score_partners(company, today, customer.ids)
        return customer

    def test_dashboard_then_tier_and_history(self):
        """A manager opens the dashboard from the lifecycle menu (its
        customers by stage equal the report's: the tour compares them), then
        reads a customer's tier on the contact and its tier history on the
        lifecycle form."""
        customer = self._tier_customer()
        Value = self.env["crm.lifecycle.kpi.value"]
        self.env["crm.lifecycle.kpi.mixin"]._kpi_refresh()
        groups = Value._read_group([], ["stage_id"], ["customer_count:sum"])
        self.assertTrue(groups, "the demo data gives the report customers")
        self.start_tour("/odoo", "crm_lifecycle_dashboard", login="admin")
        self.start_tour(
            f"/odoo/contacts/{customer.id}", "crm_lifecycle_tier", login="admin"
        )
