from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user

from .common import CollectionsCommon


class WorkspaceCommon(CollectionsCommon):
    """Collections common data aged at the real today (the aging view ages
    at the database's CURRENT_DATE), with a collector and an accountant."""

    @classmethod
    def setUpClass(cls):
        cls.TODAY = fields.Date.today()
        super().setUpClass()
        cls.Workspace = cls.env["crm.collections.workspace"]
        cls.collector = new_test_user(
            cls.env,
            login="ws_collector",
            groups="crm_collections.group_collections_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.accountant = new_test_user(
            cls.env,
            login="ws_accountant",
            groups="base.group_user,account.group_account_readonly",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    @classmethod
    def _pay(cls, moves, amount, day):
        """Register a payment of ``amount`` on ``moves`` dated ``day``."""
        return (
            cls.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=moves.ids)
            .create({"amount": amount, "payment_date": day})
            ._create_payments()
        )

    @classmethod
    def _invoice(cls, partner, amount, invoice_date, due_date, currency=None):
        move = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "date": invoice_date,
                "invoice_date_due": due_date,
                "currency_id": (currency or cls.company.currency_id).id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Goods",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _row(self, partner, company=None):
        return (
            self.Workspace.sudo()
            .search(
                [
                    ("partner_id", "=", partner.id),
                    ("company_id", "=", (company or self.company).id),
                ]
            )
            .sudo(False)
        )

    @staticmethod
    def _days_ago(days):
        return fields.Date.today() - timedelta(days=days)
