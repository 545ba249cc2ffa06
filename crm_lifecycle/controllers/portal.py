from odoo.http import request, route

from odoo.addons.portal.controllers.portal import CustomerPortal


class LifecyclePortal(CustomerPortal):
    """The customer's loyalty tier on the portal: a card on /my beside the
    loyalty cards and the page /my/tier with the progress to the next tier.

    Only the tier of the portal user's own commercial partner in the root of
    the user's company is read (``sudo`` restricted to that partner, never a
    partner given in the request); no value or churn score is rendered.
    """

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if not counters:
            values["lifecycle_tier"] = self._lifecycle_portal_profile().tier_id
        return values

    @route(["/my/tier"], type="http", auth="user", website=True)
    def portal_my_lifecycle_tier(self, **kw):
        # Query parameters are ignored: the page shows the user's own tier.
        profile = self._lifecycle_portal_profile()
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "lifecycle_tier",
                **profile._lifecycle_portal_tier_values(),
            }
        )
        return request.render("crm_lifecycle.portal_my_tier", values)

    def _lifecycle_portal_profile(self):
        """The lifecycle profile (sudo) of the user's commercial partner in
        the root of the user's company; empty when there is none."""
        user = request.env.user
        return (
            request.env["crm.lifecycle.profile"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", user.partner_id.commercial_partner_id.id),
                    ("company_id", "=", user.company_id.root_id.id),
                ],
                limit=1,
            )
        )
