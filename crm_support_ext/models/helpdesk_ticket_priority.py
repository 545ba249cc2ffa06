# The priority boost is a part of its own (read on its own), by design.
# pylint: disable=consider-merging-classes-inherited
from odoo import api, fields, models
from odoo.tools import SQL

PRIORITIES = ["0", "1", "2", "3"]


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    priority_boost = fields.Selection(
        selection=[
            ("tier", "Loyalty tier"),
            ("value", "Predicted value"),
            ("tier_value", "Loyalty tier and predicted value"),
        ],
        readonly=True,
        copy=False,
        help="Why the priority was raised when the request was created (see "
        "the settings: priority boost). A later tier change does not change "
        "the priority of open requests.",
    )
    priority_boost_reason = fields.Char(
        readonly=True,
        copy=False,
        help="The priority boost, in words.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        # before super(): helpdesk_mgmt_sla matches the policies on the
        # created ticket, so that it sees the raised priority
        self._support_apply_priority_boost(vals_list)
        return super().create(vals_list)

    @api.model
    def _support_apply_priority_boost(self, vals_list):
        """Raise the priority in ``vals_list`` of the requests of valuable or
        loyal customers (company settings), reading the customers' lifecycle
        profiles in one query, and record the reason."""
        Partner = self.env["res.partner"]
        Company = self.env["res.company"]
        Team = self.env["helpdesk.ticket.team"]
        asks = []
        for vals in vals_list:
            if not self.env.su:
                for name in ("priority_boost", "priority_boost_reason"):
                    vals.pop(name, None)
                for name in ("first_response_date", "sla_breached"):
                    vals.pop(name, None)
            if not vals.get("partner_id"):
                continue
            company = Company.browse(vals.get("company_id") or self.env.company.id)
            if vals.get("team_id"):
                team = Team.browse(vals["team_id"])
                company = team.company_id or company
            asks.append((vals, vals["partner_id"], company))
        if not asks:
            return
        companies = Company.browse({company.id for _v, _p, company in asks}).sudo()
        roots = {company.id: company.root_id for company in companies}
        if not any(
            (root.support_boost_tier_id or root.support_boost_min_clv > 0)
            and root.support_boost_levels > 0
            for root in roots.values()
        ):
            return
        partners = Partner.browse({partner for _v, partner, _c in asks}).sudo()
        commercial = {p.id: p.commercial_partner_id.id for p in partners}
        pairs = {
            (commercial[partner], roots[company.id].id) for _v, partner, company in asks
        }
        self.env.cr.execute(
            SQL(
                """
                SELECT p.partner_id, p.company_id, t.sequence, t.name ->> 'en_US',
                       t.id, COALESCE(p.predicted_clv, 0)
                  FROM crm_lifecycle_profile p
             LEFT JOIN crm_lifecycle_tier t ON t.id = p.tier_id
                 WHERE (p.partner_id, p.company_id) IN %s
                """,
                tuple(pairs),
            )
        )
        profiles = {(row[0], row[1]): row[2:] for row in self.env.cr.fetchall()}
        tiers = (
            self.env["crm.lifecycle.tier"]
            .sudo()
            .browse({row[2] for row in profiles.values() if row[2]})
        )
        for vals, partner, company in asks:
            root = roots[company.id]
            profile = profiles.get((commercial[partner], root.id))
            if not profile or root.support_boost_levels <= 0:
                continue
            rank, _tier_name, tier_id, clv = profile
            tier = tiers.filtered(lambda t, tier_id=tier_id: t.id == tier_id)
            min_tier = root.support_boost_tier_id
            by_tier = bool(min_tier and tier_id and rank >= min_tier.sequence)
            by_value = bool(
                root.support_boost_min_clv > 0 and clv >= root.support_boost_min_clv
            )
            if not (by_tier or by_value):
                continue
            current = vals.get("priority") or self._fields["priority"].default(self)
            index = PRIORITIES.index(current) if current in PRIORITIES else 1
            boosted = PRIORITIES[
                min(len(PRIORITIES) - 1, index + root.support_boost_levels)
            ]
            if boosted == current:
                continue
            labels = dict(self._fields["priority"]._description_selection(self.env))
            reasons = []
            if by_tier:
                reasons.append(
                    self.env._(
                        "loyalty tier %(tier)s (boost from %(min)s)",
                        tier=tier.display_name,
                        min=min_tier.display_name,
                    )
                )
            if by_value:
                reasons.append(
                    self.env._(
                        "predicted value %(value)s (boost from %(min)s)",
                        value=round(clv, 2),
                        min=root.support_boost_min_clv,
                    )
                )
            vals["priority"] = boosted
            vals["priority_boost"] = (
                "tier_value" if by_tier and by_value else "tier" if by_tier else "value"
            )
            vals["priority_boost_reason"] = self.env._(
                "Priority raised from %(old)s to %(new)s: %(reasons)s.",
                old=labels.get(current, current),
                new=labels.get(boosted, boosted),
                reasons="; ".join(reasons),
            )
