from datetime import date
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from odoo.addons.sale_loyalty.models.sale_order import SaleOrder as LoyaltySaleOrder
from odoo.addons.sale_loyalty.tests.common import TestSaleCouponCommon


@tagged("post_install", "-at_install")
class TestSaleLoyaltyTier(TestSaleCouponCommon):
    """The tier pricelist on new sale orders and the tier's points
    multiplier on a confirmed order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.root = cls.company.root_id
        Pricelist = cls.env["product.pricelist"]
        cls.tier_pricelist = Pricelist.create({"name": "Gold prices"})
        cls.own_pricelist = Pricelist.create({"name": "Negotiated prices"})
        cls.gold = cls.env["crm.lifecycle.tier"].create(
            {
                "name": "Sale Gold",
                "sequence": 1030,
                "company_id": cls.root.id,
                "pricelist_id": cls.tier_pricelist.id,
                "points_multiplier": 1.5,
            }
        )
        cls.plain = cls.env["crm.lifecycle.tier"].create(
            {"name": "Sale Plain", "sequence": 1010, "company_id": cls.root.id}
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Tiered Customer", "is_company": True}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Tiered Contact", "parent_id": cls.customer.id}
        )
        cls.profile = cls._profile(cls.customer, cls.gold)

    @classmethod
    def _profile(cls, partner, tier):
        # the engine's fields are written in superuser mode, as the job does
        return (
            cls.env["crm.lifecycle.profile"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": cls.root.id,
                    "tier_id": tier.id,
                    "tier_date": date(2026, 6, 30),
                }
            )
        )

    def _partner_row(self, partner):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT write_date, specific_property_product_pricelist "
            "FROM res_partner WHERE id = %s",
            [partner.id],
        )
        return self.env.cr.fetchone()

    def _order(self, partner, **vals):
        return self.env["sale.order"].create({"partner_id": partner.id, **vals})

    def test_tier_pricelist_on_new_order(self):
        before = self._partner_row(self.customer), self._partner_row(self.contact)
        order = self._order(self.contact)
        self.assertEqual(order.pricelist_id, self.tier_pricelist)
        # the customer's other orders and the scoring leave the partner alone
        self.env["crm.lifecycle.scoring"]._scoring_score_company(
            self.root, date(2026, 6, 30)
        )
        after = self._partner_row(self.customer), self._partner_row(self.contact)
        self.assertEqual(before, after)

    def test_own_pricelist_wins(self):
        self.customer.with_company(
            self.company
        ).property_product_pricelist = self.own_pricelist
        before = self._partner_row(self.customer)
        order = self._order(self.contact)
        self.assertEqual(order.pricelist_id, self.own_pricelist)
        self.assertEqual(self._partner_row(self.customer), before)

    def test_no_tier_no_pricelist_change(self):
        other = self.env["res.partner"].create({"name": "No Tier Ltd"})
        order = self._order(other)
        self.assertEqual(
            order.pricelist_id,
            other.with_company(self.company).property_product_pricelist,
        )
        self.assertNotEqual(order.pricelist_id, self.tier_pricelist)

    def _loyalty_points(self, partner):
        program = self.env["loyalty.program"].create(
            self.env["loyalty.program"]._get_template_values()["loyalty"]
        )
        card = self.env["loyalty.card"].create(
            {"program_id": program.id, "partner_id": partner.id, "points": 0}
        )
        order = self._order(
            partner,
            order_line=[
                Command.create({"product_id": self.product_A.id, "tax_id": False})
            ],
        )
        # prices of the tier's pricelist are those of the product here
        self.assertEqual(order.amount_total, 100)
        order._update_programs_and_rewards()
        order.action_confirm()
        return card.points

    def test_points_multiplier_on_confirmed_order(self):
        self.assertEqual(self._loyalty_points(self.customer), 150)

    def test_points_multiplier_one_unchanged(self):
        plain = self.env["res.partner"].create(
            {"name": "Plain Ltd", "is_company": True}
        )
        self._profile(plain, self.plain)
        self.assertEqual(self._loyalty_points(plain), 100)

    def test_multiplier_scales_every_points_element(self):
        """Split points (one element per future card) are scaled too; gift
        cards and promotions are left alone."""
        Program = self.env["loyalty.program"]
        loyalty = Program.create(Program._get_template_values()["loyalty"])
        gift = Program.create(Program._get_template_values()["gift_card"])
        order = self._order(self.customer)
        base = {
            loyalty: {"points": [10, 4, 4]},
            gift: {"points": [0, 50, 50]},
        }
        with patch.object(
            LoyaltySaleOrder,
            "_program_check_compute_points",
            lambda self, programs: {p: dict(base[p]) for p in programs},
        ):
            result = order._program_check_compute_points(loyalty | gift)
        self.assertEqual(result[loyalty]["points"], [15, 6, 6])
        self.assertEqual(result[gift]["points"], [0, 50, 50])
