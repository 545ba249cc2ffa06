from odoo import api, fields, models

# The last row holds the customers with this many calibration purchases or more.
MAX_BUCKET = 7


class CrmLifecycleValueHoldoutLine(models.Model):
    """One row of a value model's holdout validation: the customers with a
    given number of repeat purchases in the calibration period, their mean
    purchases in the holdout period and the model's prediction of it."""

    _name = "crm.lifecycle.value.holdout.line"
    _description = "Value Model Holdout Row"
    _order = "model_id, bucket"

    model_id = fields.Many2one(
        comodel_name="crm.lifecycle.value.model",
        required=True,
        index=True,
        ondelete="cascade",
        string="Value Model",
    )
    company_id = fields.Many2one(related="model_id.company_id", store=True)
    bucket = fields.Integer(
        string="Calibration Purchases",
        help="Repeat purchases in the calibration period; the last row holds "
        "this many or more.",
    )
    bucket_label = fields.Char(
        string="Purchases Before", compute="_compute_bucket_label", store=True
    )
    customers = fields.Integer(aggregator="sum")
    actual = fields.Float(
        digits=(16, 3),
        aggregator="avg",
        help="Mean purchases per customer in the holdout period.",
    )
    predicted = fields.Float(
        digits=(16, 3),
        aggregator="avg",
        help="Mean expected purchases per customer in the holdout period.",
    )

    @api.depends("bucket")
    def _compute_bucket_label(self):
        for line in self:
            line.bucket_label = (
                f"{line.bucket}+" if line.bucket >= MAX_BUCKET else str(line.bucket)
            )
