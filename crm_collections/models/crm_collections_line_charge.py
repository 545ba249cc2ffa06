# Second file of the model (house rule: files under ~500 lines).
# pylint: disable=consider-merging-classes-inherited
from odoo import Command, fields, models
from odoo.tools import float_round


class CrmCollectionsLine(models.Model):
    """Fees and interest charged when a level is sent: one customer invoice
    per line (draft or posted, per policy) with a fee line and an interest
    line. Interest = yearly rate x amount due (company currency) x days
    since the invoice's interest was last charged (or since its due date)
    / 365; each invoice remembers up to which date it was charged
    (``collections_interest_date``), so no day is charged twice. Fee and
    interest invoices (``collections_charge``) carry no fee nor interest."""

    _inherit = "crm.collections.line"

    charge_move_id = fields.Many2one(
        comodel_name="account.move",
        string="Fee Invoice",
        readonly=True,
        copy=False,
        help="The invoice of the fee and interest charged with this reminder.",
    )
    fee_charged = fields.Monetary(
        currency_field="currency_id", readonly=True, copy=False
    )
    interest_charged = fields.Monetary(
        currency_field="currency_id", readonly=True, copy=False
    )

    def _collections_interest(self, row, date):
        """(amount, days) of interest of one line-invoice row up to ``date``."""
        move = row.move_id
        if move.collections_charge:
            return 0.0, 0
        start = move.collections_interest_date or row.date_maturity
        days = (date - start).days if start else 0
        if days <= 0:
            return 0.0, 0
        rate = self.level_id.interest_rate / 100.0
        amount = rate * row.amount_residual * days / 365.0
        return float_round(amount, precision_rounding=self.currency_id.rounding), days

    def _collections_charge(self):
        """Create the fee/interest invoices of the lines whose level charges
        fees or interest, in one create; mark the invoices charged."""
        moves_vals = []
        charged_lines = []
        interest_dates = {}
        for line in self:
            level = line.level_id
            if not (level.fee_product_id or level.fee_amount or level.interest_rate):
                continue
            rows = line.collections_invoice_ids.filtered(
                lambda row: not row.move_id.collections_charge
            )
            if not rows:
                continue  # only fee invoices: never charged again
            date = line.date or fields.Date.context_today(line)
            invoice_lines = []
            fee = 0.0
            if level.fee_product_id or level.fee_amount:
                fee = level.fee_amount or level.fee_product_id.lst_price
                fee_vals = {
                    "name": self.env._("Dunning fee (%(level)s)", level=level.name),
                    "quantity": 1,
                    "price_unit": fee,
                    "tax_ids": [Command.clear()],
                }
                if level.fee_product_id:
                    fee_vals["product_id"] = level.fee_product_id.id
                invoice_lines.append(Command.create(fee_vals))
            interest = 0.0
            if level.interest_rate:
                for row in rows:
                    amount, days = line._collections_interest(row, date)
                    if not amount:
                        continue
                    interest += amount
                    interest_dates[row.move_id] = date
                    invoice_lines.append(
                        Command.create(
                            {
                                "name": self.env._(
                                    "Interest %(rate)s%% on %(move)s for %(days)s days",
                                    rate=level.interest_rate,
                                    move=row.move_id.name,
                                    days=days,
                                ),
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [Command.clear()],
                            }
                        )
                    )
            if not invoice_lines:
                continue
            charged_lines.append((line, fee, interest))
            moves_vals.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": line.partner_id.id,
                    "company_id": line.company_id.id,
                    "currency_id": line.company_id.currency_id.id,
                    "invoice_date": date,
                    "collections_charge": True,
                    "invoice_origin": line.display_name,
                    "invoice_line_ids": invoice_lines,
                }
            )
        if not moves_vals:
            return
        moves = self.env["account.move"].create(moves_vals)
        for (line, fee, interest), move in zip(charged_lines, moves, strict=True):
            line.write(
                {
                    "charge_move_id": move.id,
                    "fee_charged": fee,
                    "interest_charged": interest,
                }
            )
        to_post = moves.filtered(
            lambda move: any(
                line.charge_move_id == move and line.policy_id.charge_post
                for line, __, __ in charged_lines
            )
        )
        if to_post:
            to_post.action_post()
        for date in set(interest_dates.values()):
            self.env["account.move"].concat(
                *[move for move, d in interest_dates.items() if d == date]
            ).write({"collections_interest_date": date})
