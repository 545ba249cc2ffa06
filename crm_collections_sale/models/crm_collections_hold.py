from odoo import api, models


class CrmCollectionsHold(models.Model):
    _inherit = "crm.collections.hold"

    @api.model
    def _collections_hold_collector(self, hold):
        """The collector who follows ``hold`` up: who set it when that is a
        collector, else a collections manager of the company, else the
        customer's salesperson, else the current user."""
        Users = self.env["res.users"].sudo()
        root = self.env.ref("base.user_root")
        collector_group = self.env.ref("crm_collections.group_collections_user")
        if (
            hold.set_by_id
            and hold.set_by_id != root
            and collector_group in (hold.set_by_id.groups_id)
        ):
            return hold.set_by_id
        manager = Users.search(
            [
                (
                    "groups_id",
                    "in",
                    self.env.ref("crm_collections.group_collections_manager").ids,
                ),
                ("company_ids", "in", hold.company_id.ids),
                ("share", "=", False),
                ("id", "!=", root.id),
            ],
            limit=1,
        )
        return manager or hold.partner_id.user_id or self.env.user
