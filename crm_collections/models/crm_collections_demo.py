import logging
from datetime import timedelta

from odoo import Command, api, fields, models

_logger = logging.getLogger(__name__)

# name, [(days overdue, amount)], collector's next action, open promise
DEMO_CUSTOMERS = [
    ("Harbour Logistics", [(-10, 1200.0), (12, 800.0)], "email", False),
    ("Northwind Traders", [(45, 2300.0)], "call", False),
    ("Bluebird Bakery", [(75, 950.0), (20, 400.0)], "wait_promise", True),
    ("Summit Outdoor", [(130, 4100.0), (65, 600.0)], "escalate", False),
    ("Lakeside Clinic", [(5, 300.0), (0, 700.0)], False, False),
]


class CrmCollectionsDemo(models.AbstractModel):
    """Demo customers owing money in every aging bucket, one with a promise
    to pay (called from ``demo/crm_collections_demo.xml``)."""

    _name = "crm.collections.demo"
    _description = "Collections Demo Data"

    @api.model
    def _demo_generate(self):
        company = self.env.ref("base.main_company")
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        if not journal:
            _logger.warning("No sales journal in %s: no collections demo", company.name)
            return
        today = fields.Date.context_today(self)
        partners = self.env["res.partner"].create(
            [
                {"name": name, "is_company": True, "customer_rank": 1}
                for name, __, __, __ in DEMO_CUSTOMERS
            ]
        )
        moves = []
        for partner, (__, invoices, __, __) in zip(
            partners, DEMO_CUSTOMERS, strict=True
        ):
            for days, amount in invoices:
                due = today - timedelta(days=days)
                date = min(due, today) - timedelta(days=30)
                moves.append(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "journal_id": journal.id,
                        "invoice_date": date,
                        "date": date,
                        "invoice_date_due": due,
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": self.env._("Goods and services"),
                                    "quantity": 1,
                                    "price_unit": amount,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                )
        self.env["account.move"].with_company(company).create(moves).action_post()
        promised = partners.filtered(
            lambda p: dict((c[0], c[3]) for c in DEMO_CUSTOMERS)[p.name]
        )
        self.env["crm.collections.promise"].create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "amount": 950.0,
                    "date": today + timedelta(days=7),
                }
                for partner in promised
            ]
        )
        # lifecycle profiles: the workspace shows their churn risk and value
        partners._lifecycle_get_profiles(company.root_id)._lifecycle_recompute()
        Workspace = self.env["crm.collections.workspace"].sudo()
        Workspace._collections_refresh_workspace(company)
        admin = self.env.ref("base.user_admin")
        for partner, (__, __, action, __) in zip(partners, DEMO_CUSTOMERS, strict=True):
            row = Workspace.search(
                [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
            )
            if row and action:
                row.write(
                    {
                        "user_id": admin.id,
                        "next_action": action,
                        "next_action_date": today + timedelta(days=2),
                    }
                )
        self.env["crm.lifecycle.kpi.mixin"]._kpi_refresh()
