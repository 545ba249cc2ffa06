from odoo import api, models


class AccountPartialReconcile(models.Model):
    """A payment reconciled with a customer's receivable lifts the customer's
    automatic credit holds whose cause is gone (paid)."""

    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        lines = partials.debit_move_id.filtered(
            lambda line: (
                line.account_id.account_type == "asset_receivable" and line.partner_id
            )
        )
        Hold = self.env["crm.collections.hold"].sudo()
        for company in lines.company_id:
            company_lines = lines.filtered(lambda line, c=company: line.company_id == c)
            self.env.flush_all()
            Hold._collections_lift_paid(company_lines.partner_id, company)
        return partials
