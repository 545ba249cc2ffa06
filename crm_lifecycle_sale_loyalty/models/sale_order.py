from odoo import api, models
from odoo.tools import float_round


class SaleOrder(models.Model):
    """The customer's loyalty tier on its sale orders: the tier's pricelist
    when the order computes its pricelist (unless the customer has a
    pricelist of its own) and the tier's multiplier on loyalty points.

    The tier is read from the lifecycle profile of the order's commercial
    partner in the root of the order's company; nothing is written on the
    partner.
    """

    _inherit = "sale.order"

    # ------------------------------------------------------------
    # PRICELIST
    # ------------------------------------------------------------

    def _compute_pricelist_id(self):
        result = super()._compute_pricelist_id()
        orders = self.filtered(
            lambda order: order.state == "draft" and order.partner_id
        )
        tiers = orders._lifecycle_tiers()
        for order in orders:
            pricelist = tiers.get(order.id, self.env["crm.lifecycle.tier"]).pricelist_id
            if (
                not pricelist
                or (
                    pricelist.company_id
                    and pricelist.company_id not in order.company_id.parent_ids
                )
                or order._lifecycle_has_own_pricelist()
            ):
                continue
            order.pricelist_id = pricelist
        return result

    def _lifecycle_has_own_pricelist(self):
        """Whether the customer (the commercial partner) has a pricelist of
        its own in the order's company, set on its form, rather than the
        default one (a country group's, the company's fallback) that
        ``property_product_pricelist`` gives otherwise. Its contacts' values
        are not read: creating a contact copies the company's pricelist,
        default or not, to it (a commercial field)."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id.with_company(self.company_id)
        own = partner.specific_property_product_pricelist
        return bool(own._get_partner_pricelist_multi_filter_hook())

    # ------------------------------------------------------------
    # LOYALTY POINTS
    # ------------------------------------------------------------

    def _program_check_compute_points(self, programs):
        """Multiply the points the order earns in the tier's programmes by
        the tier's ``points_multiplier`` (every element: the order's points
        and the split points)."""
        result = super()._program_check_compute_points(programs)
        multiplier = self._lifecycle_points_multiplier()
        if multiplier == 1.0:
            return result
        for program in self._lifecycle_multiplied_programs(programs):
            status = result.get(program)
            if status and "points" in status:
                status["points"] = [
                    float_round(points * multiplier, precision_digits=2)
                    for points in status["points"]
                ]
        return result

    def _lifecycle_points_multiplier(self):
        self.ensure_one()
        tier = self._lifecycle_tiers().get(self.id)
        return tier.points_multiplier if tier else 1.0

    @api.model
    def _lifecycle_multiplied_programs(self, programs):
        """The programmes whose points the tier multiplies: loyalty cards.
        Gift cards and eWallets hold money and promotions' points are the
        conditions of their rewards: they are left as they are. Override to
        multiply others."""
        return programs.filtered(lambda program: program.program_type == "loyalty")

    # ------------------------------------------------------------
    # TIERS
    # ------------------------------------------------------------

    def _lifecycle_tiers(self):
        """``{order id: tier}`` of the orders whose customer has a loyalty
        tier in the root of the order's company (one query for all)."""
        orders = self.filtered("partner_id")
        if not orders:
            return {}
        profiles = (
            self.env["crm.lifecycle.profile"]
            .sudo()
            .search_read(
                [
                    ("partner_id", "in", orders.partner_id.commercial_partner_id.ids),
                    ("company_id", "in", orders.company_id.root_id.ids),
                    ("tier_id", "!=", False),
                ],
                ["partner_id", "company_id", "tier_id"],
                load=None,
            )
        )
        by_key = {
            (row["partner_id"], row["company_id"]): row["tier_id"] for row in profiles
        }
        Tier = self.env["crm.lifecycle.tier"].sudo()
        result = {}
        for order in orders:
            tier_id = by_key.get(
                (order.partner_id.commercial_partner_id.id, order.company_id.root_id.id)
            )
            if tier_id:
                result[order.id] = Tier.browse(tier_id)
        return result
