# One concern per file (financial risk); other files of this addon may
# inherit the same model.
# pylint: disable=consider-merging-classes-inherited
from datetime import timedelta

from odoo import Command, api, fields, models


class CrmLifecycleRun(models.Model):
    """The nightly order: scoring, then dunning. When a scoring run
    finishes, the dunning job is triggered, so that it reads today's
    financial risk, tier and lifetime value; the scoring's risk step reads
    the escalations of the dunning committed before it (yesterday's)."""

    _inherit = "crm.lifecycle.run"

    @api.model
    def _cron_lifecycle_scoring(self, today=None, batch_size=None):
        kwargs = {"today": today}
        if batch_size is not None:
            kwargs["batch_size"] = batch_size
        runs = super()._cron_lifecycle_scoring(**kwargs)
        if runs.filtered(lambda run: run.state == "done"):
            dunning = self.env.ref(
                "crm_collections.ir_cron_collections_run", raise_if_not_found=False
            )
            if dunning and dunning.active:
                dunning.sudo()._trigger()
        return runs

    @api.model
    def _collections_demo_payments(self):
        """Demo data: for a few lifecycle demo customers, invoices of the
        last months due after 30 days, paid late or in part or left open,
        and a broken promise; then score the company today, so that payment
        behaviour and financial risk show at once (from low to high)."""
        company = self.env.company
        today = fields.Date.context_today(self)
        journal = self.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        partners = (
            self.env["account.move"]
            .search(
                [
                    ("move_type", "=", "out_invoice"),
                    ("company_id", "=", company.id),
                    ("invoice_date", "<", today - timedelta(days=365)),
                ],
                order="id",
            )
            .commercial_partner_id[:8]
        )
        if not journal or not partners:
            return
        Move = self.env["account.move"]
        moves = Move
        # (days ago, amount) of each invoice; due 30 days later
        specs = [(150, 1800.0), (110, 1200.0), (75, 900.0), (40, 600.0)]
        for partner in partners:
            moves |= Move.create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "journal_id": journal.id,
                        "invoice_date": today - timedelta(days=days),
                        "invoice_date_due": today - timedelta(days=days - 30),
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": self.env._("Services"),
                                    "quantity": 1,
                                    "price_unit": amount,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                    for days, amount in specs
                ]
            )
        moves.action_post()
        Register = self.env["account.payment.register"]
        for index, partner in enumerate(partners):
            # the first customers pay on time, the last ones late or not at
            # all: from a low to a high financial risk
            late = index * 8
            for number, move in enumerate(
                moves.filtered(lambda m, p=partner: m.partner_id == p).sorted(
                    "invoice_date"
                )
            ):
                due = move.invoice_date_due
                if number >= 4 - index // 2 or due + timedelta(days=late) > today:
                    continue  # stays open
                vals = {"payment_date": due + timedelta(days=late)}
                if index % 3 == 1 and number == 0:
                    vals["amount"] = move.amount_residual / 2
                Register.with_context(
                    active_model="account.move", active_ids=move.ids
                ).create(vals)._create_payments()
        promise = self.env["crm.collections.promise"].create(
            {
                "partner_id": partners[-1].id,
                "company_id": company.id,
                "date": today - timedelta(days=20),
                "amount": 600.0,
            }
        )
        promise.state = "broken"
        self.env["crm.lifecycle.scoring"]._scoring_score_company(company.root_id, today)
