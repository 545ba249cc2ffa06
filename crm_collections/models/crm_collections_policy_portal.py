from odoo import api, fields, models
from odoo.exceptions import ValidationError

PORTAL_PROMISE_MAX_DAYS = 90
OPEN_PAYMENT_STATES = ("not_paid", "partial")


class CrmCollectionsPolicy(models.Model):
    """The portal rules of a policy: who handles what customers answer to
    their reminders on the portal (disputes, proposed promises to pay) and
    how far a proposed promise may go."""

    _inherit = "crm.collections.policy"

    portal_user_id = fields.Many2one(
        comodel_name="res.users",
        string="Portal Collector",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Receives the activities of the disputes and promises to pay "
        "that customers send from the portal. Empty: the invoice's "
        "salesperson, else a collections manager of the company.",
    )
    portal_promise_max_days = fields.Integer(
        string="Portal Promise Horizon (Days)",
        default=PORTAL_PROMISE_MAX_DAYS,
        help="A promise to pay proposed on the portal must be dated within "
        "this many days from today.",
    )

    @api.constrains("portal_promise_max_days")
    def _check_portal_promise_max_days(self):
        for policy in self:
            if policy.portal_promise_max_days < 1:
                raise ValidationError(
                    self.env._(
                        "The portal promise horizon of policy %(policy)s must be "
                        "at least one day.",
                        policy=policy.display_name,
                    )
                )

    @api.model
    def _collections_partner_policy(self, partner, company):
        """The policy of ``partner`` (a commercial entity) in ``company``:
        its own, else the company's default (empty if none)."""
        policy = partner.with_company(company).sudo().crm_collections_policy_id
        return policy or self._collections_default_policy(company)

    @api.model
    def _collections_portal_collector(self, partner, company, moves=None):
        """Who gets the activity of a customer's portal request: the
        policy's portal collector, else the salesperson of the first invoice
        (an internal user), else a collections manager of the company."""
        policy = self.sudo()._collections_partner_policy(partner, company)
        if policy.portal_user_id:
            return policy.portal_user_id
        salesperson = (moves or self.env["account.move"]).invoice_user_id.filtered(
            lambda user: not user.share and company in user.company_ids
        )[:1]
        if salesperson:
            return salesperson
        root = self.env.ref("base.user_root")
        return (
            self.env.ref("crm_collections.group_collections_manager")
            .sudo()
            .users.filtered(
                lambda user: (
                    company in user.company_ids and not user.share and user != root
                )
            )[:1]
        )
