import logging

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models

from ..lib import demo_data

_logger = logging.getLogger(__name__)


class CrmLifecycleDemo(models.AbstractModel):
    """Demo customers with two years of invoices, scored at past dates so
    that the stage history has durations (called from ``demo/*.xml``)."""

    _name = "crm.lifecycle.demo"
    _description = "Customer Lifecycle Demo Data"

    @api.model
    def _demo_generate(self):
        """Create demo customers, invoices and opportunities, then run the
        engine at past dates and today."""
        company = self.env.company
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        if not journal:
            _logger.warning("No sales journal in %s: no lifecycle demo", company.name)
            return
        today = fields.Date.context_today(self)
        products = self._demo_products()
        moves, leads = [], []
        for index, customer in enumerate(demo_data.customers()):
            partner = self.env["res.partner"].create(
                {"name": customer["name"], "is_company": True, "customer_rank": 1}
            )
            for number, (days_ago, amount) in enumerate(customer["invoices"]):
                moves.append(
                    self._demo_invoice_vals(
                        "out_invoice",
                        partner,
                        journal,
                        today,
                        days_ago,
                        amount,
                        product=products[(index + number) % len(products)],
                    )
                )
            if customer["refund"]:
                days_ago, amount = customer["invoices"][-1]
                moves.append(
                    self._demo_invoice_vals(
                        "out_refund", partner, journal, today, days_ago, amount / 4
                    )
                )
            if customer["opportunity"]:
                leads.append(
                    {
                        "name": self.env._("Offer for %(name)s", name=partner.name),
                        "type": "opportunity",
                        "partner_id": partner.id,
                        "expected_revenue": 5000,
                    }
                )
        self.env["account.move"].create(moves).action_post()
        self.env["crm.lead"].create(leads)
        Scoring = self.env["crm.lifecycle.scoring"]
        Card = self.env["crm.lifecycle.value.model"]
        for days_ago in (540, 365, 180, 90, 30, 0):
            day = today - relativedelta(days=days_ago)
            # a value model per date, as the weekly job would have fitted
            Card._lifecycle_fit(company.root_id, day)
            Scoring._scoring_score_company(company.root_id, day)
        self.env["crm.lifecycle.kpi.mixin"]._kpi_refresh()

    @api.model
    def _demo_products(self):
        """Three demo products in three categories (what loyal customers
        buy, in the reports)."""
        parent = self.env.ref("product.product_category_all")
        products = self.env["product.product"]
        for name, product in (
            ("Vehicles", "Demo Car"),
            ("Service", "Demo Maintenance"),
            ("Parts", "Demo Tyres"),
        ):
            category = self.env["product.category"].create(
                {"name": name, "parent_id": parent.id}
            )
            products |= products.create(
                {"name": product, "categ_id": category.id, "type": "service"}
            )
        return products

    @api.model
    def _demo_invoice_vals(
        self, move_type, partner, journal, today, days_ago, amount, product=None
    ):
        date = today - relativedelta(days=days_ago)
        return {
            "move_type": move_type,
            "partner_id": partner.id,
            "journal_id": journal.id,
            "invoice_date": date,
            "date": date,
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": product.name
                        if product
                        else self.env._("Goods and services"),
                        "product_id": product.id if product else False,
                        "quantity": 1,
                        "price_unit": amount,
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }
