from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common_workspace import WorkspaceCommon


@tagged("post_install", "-at_install")
class TestCollectionsKpi(WorkspaceCommon):
    """Every KPI on a hand-checked month M (three months ago):

    * A (alpha): 1000 dated M-40, due M-10, reminded at M+1 (level 1),
      600 paid at M+5, 100 paid at M+45 (after the 30-day window);
    * B (beta): 500 dated M+10, due M-end+20 (not due at month end);
    * C (beta): 300 dated M+2, due M+12, written off at M+20 (a
      miscellaneous entry to an expense account).

    Opening receivables (M-1) = 1000; credit sales of M = 500 + 300 = 800;
    closing receivables = 400 (A) + 500 (B) = 900, of which current 500 and
    overdue 400; sales of the 90 days to month end = 1800.
    DSO = 900 / 1800 x 90 = 45.0; overdue share = 400 / 900 = 44.44 %;
    CEI = (1000 + 800 - 900) / (1000 + 800 - 500) = 900 / 1300 = 69.23 %;
    write-offs = 300; promises dated in M: 2 kept, 1 broken = 66.67 %;
    collected within 30 days after level 1: 600 of 1000 = 60 %.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.M = (today - relativedelta(months=3)).replace(day=1)
        M = cls.M
        cls.M_END = M + relativedelta(months=1, days=-1)
        cls.alpha = cls._customer("KPI Alpha")
        cls.beta = cls._customer("KPI Beta")
        cls.inv_a = cls._invoice(
            cls.alpha, 1000.0, M - timedelta(days=40), M - timedelta(days=10)
        )
        cls.inv_b = cls._invoice(
            cls.beta, 500.0, M + timedelta(days=9), cls.M_END + timedelta(days=20)
        )
        cls.inv_c = cls._invoice(
            cls.beta, 300.0, M + timedelta(days=1), M + timedelta(days=11)
        )
        cls._pay(cls.inv_a, 600.0, M + timedelta(days=4))
        cls._pay(cls.inv_a, 100.0, M + timedelta(days=45))
        # the write-off of C
        receivable = cls.company_data["default_account_receivable"]
        write_off = cls.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": cls.company_data["default_journal_misc"].id,
                "date": M + timedelta(days=19),
                "line_ids": [
                    Command.create(
                        {
                            "name": "Bad debt",
                            "account_id": cls.company_data[
                                "default_account_expense"
                            ].id,
                            "debit": 300.0,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Bad debt",
                            "account_id": receivable.id,
                            "partner_id": cls.beta.id,
                            "credit": 300.0,
                        }
                    ),
                ],
            }
        )
        write_off.action_post()
        (write_off.line_ids | cls.inv_c.line_ids).filtered(
            lambda line: line.account_id == receivable
        ).reconcile()
        # promises dated in M
        cls.env["crm.collections.promise"].create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "amount": 100.0,
                    "date": M + timedelta(days=day),
                    "state": state,
                }
                for partner, day, state in (
                    (cls.alpha, 14, "kept"),
                    (cls.beta, 17, "broken"),
                    (cls.alpha, 24, "kept"),
                )
            ]
        )
        # a level-1 reminder of A sent at M+1
        run = cls.Run.create({"company_id": cls.company.id, "date": M})
        run.sudo().write({"date": M + timedelta(days=1), "state": "done"})
        line = cls.Line.sudo().create(
            {
                "run_id": run.id,
                "partner_id": cls.alpha.id,
                "company_id": cls.company.id,
                "level_id": cls.level1.id,
                "state": "sent",
            }
        )
        cls.env["crm.collections.line.invoice"].sudo().create(
            {
                "line_id": line.id,
                "move_id": cls.inv_a.id,
                "level_id": cls.level1.id,
                "amount_residual": 1000.0,
                "amount_residual_currency": 1000.0,
                "currency_id": cls.company.currency_id.id,
                "days_overdue": 11,
            }
        )
        # alpha has a collector: its own KPI rows
        cls.Workspace._collections_refresh_workspace(cls.company)
        cls.Workspace.sudo().search(
            [("partner_id", "=", cls.alpha.id)]
        ).user_id = cls.collector
        cls.env["crm.lifecycle.kpi.mixin"]._kpi_refresh()

    def _month(self, model, **domain):
        return self.env[model].search(
            [("company_id", "=", self.company.id), ("month", "=", self.M)]
            + [(key, "=", value) for key, value in domain.items()]
        )

    def test_monthly_kpis(self):
        kpi = self._month("crm.collections.kpi.monthly", scope="company")
        self.assertRecordValues(
            kpi,
            [
                {
                    "receivable_start": 1000.0,
                    "sales": 800.0,
                    "receivable_end": 900.0,
                    "current_end": 500.0,
                    "overdue_end": 400.0,
                    "sales_90d": 1800.0,
                    "dso": 45.0,
                    "overdue_share": 44.44,
                    "cei": 69.23,
                    "write_off": 300.0,
                    "promise_kept_count": 2,
                    "promise_broken_count": 1,
                    "promise_kept_rate": 66.67,
                }
            ],
        )

    def test_kpis_by_collector(self):
        kpi = self._month(
            "crm.collections.kpi.monthly",
            scope="collector",
            collector_id=self.collector.id,
        )
        # alpha only: 1000 opening, 400 closing (overdue), no sales in M
        self.assertRecordValues(
            kpi,
            [
                {
                    "receivable_start": 1000.0,
                    "receivable_end": 400.0,
                    "overdue_end": 400.0,
                    "overdue_share": 100.0,
                    "cei": 60.0,
                    "promise_kept_rate": 100.0,
                    "write_off": 0.0,
                }
            ],
        )
        unassigned = self._month(
            "crm.collections.kpi.monthly", scope="collector", collector_id=False
        )
        self.assertEqual(unassigned.receivable_end, 500.0)
        self.assertEqual(unassigned.write_off, 300.0)

    def test_collected_after_dunning(self):
        kpi = self._month("crm.collections.kpi.dunning", level_id=self.level1.id)
        self.assertRecordValues(
            kpi,
            [
                {
                    "reminder_count": 1,
                    "amount_reminded": 1000.0,
                    "amount_collected": 600.0,
                    "collected_rate": 60.0,
                    "collector_id": self.collector.id,
                }
            ],
        )

    def test_overdue_by_bucket_over_time(self):
        rows = self._month("crm.collections.kpi.aging")
        by_bucket = {}
        for row in rows:
            by_bucket[row.bucket] = by_bucket.get(row.bucket, 0.0) + row.amount
        # at month end A is 10 + days of M overdue (31-60), B is current
        self.assertEqual(by_bucket, {"31_60": 400.0, "current": 500.0})
        previous = self.env["crm.collections.kpi.aging"].search(
            [
                ("company_id", "=", self.company.id),
                ("month", "=", self.M - relativedelta(months=1)),
            ]
        )
        # at M-1 A was 9 days overdue
        self.assertEqual(
            [(row.bucket, row.amount) for row in previous], [("1_30", 1000.0)]
        )
