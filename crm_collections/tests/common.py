from datetime import date, timedelta

from odoo import Command
from odoo.tests import new_test_user, tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


@tagged("post_install", "-at_install")
class CollectionsCommon(AccountTestInvoicingCommon):
    """A company with a review-mode policy: 15 days email, 30 letter, 60
    phone call (last level); customers with posted, overdue invoices."""

    TODAY = date(2026, 6, 30)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.env.user.groups_id += cls.env.ref(
            "crm_collections.group_collections_manager"
        )
        cls.company = cls.env.company
        cls.company_data_2 = cls.setup_other_company()
        cls.company_2 = cls.company_data_2["company"]
        cls.env.user.company_ids |= cls.company_2
        cls.env = cls.env(
            context=dict(cls.env.context, allowed_company_ids=cls.company.ids)
        )
        cls.Run = cls.env["crm.collections.run"]
        cls.Line = cls.env["crm.collections.line"]
        cls.template = cls.env.ref("crm_collections.mail_template_dunning")
        cls.policy = cls.env["crm.collections.policy"].create(
            {
                "name": "Test policy",
                "company_id": cls.company.id,
                "is_default": True,
                "mode": "review",
                "level_ids": [
                    Command.create(
                        {
                            "name": "L1 email",
                            "days": 15,
                            "channel": "email",
                            "mail_template_id": cls.template.id,
                        }
                    ),
                    Command.create(
                        {"name": "L2 letter", "days": 30, "channel": "letter"}
                    ),
                    Command.create(
                        {
                            "name": "L3 call",
                            "days": 60,
                            "channel": "phone",
                            "is_last": True,
                        }
                    ),
                ],
            }
        )
        cls.level1, cls.level2, cls.level3 = cls.policy.level_ids.sorted("days")
        cls.salesman = new_test_user(
            cls.env,
            login="coll_salesman",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    @classmethod
    def _customer(cls, name, **vals):
        return cls.env["res.partner"].create({"name": name, "is_company": True, **vals})

    @classmethod
    def _overdue(cls, partner, days, amount=100.0, post=True, currency=None, **vals):
        """A posted invoice of ``partner`` due ``days`` days before TODAY."""
        return cls._overdue_batch(
            [(partner, days, amount)], post=post, currency=currency, **vals
        )

    @classmethod
    def _overdue_batch(cls, specs, post=True, currency=None, company=None, **vals):
        company = company or cls.company
        due_dates = [cls.TODAY - timedelta(days=days) for __, days, __ in specs]
        moves = (
            cls.env["account.move"]
            .with_company(company)
            .create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": due,
                        "invoice_date_due": due,
                        "company_id": company.id,
                        "currency_id": (currency or company.currency_id).id,
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
                        **vals,
                    }
                    for (partner, __, amount), due in zip(specs, due_dates, strict=True)
                ]
            )
        )
        if post:
            moves.action_post()
        return moves

    def _run(self, today=None, company=None):
        company = company or self.company
        run = self.Run.with_company(company).create(
            {"company_id": company.id, "date": today or self.TODAY}
        )
        run._collections_generate()
        return run

    def _line(self, run, partner):
        return run.line_ids.filtered(lambda line: line.partner_id == partner)
