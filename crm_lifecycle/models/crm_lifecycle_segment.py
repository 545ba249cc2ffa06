from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class CrmLifecycleSegment(models.Model):
    _name = "crm.lifecycle.segment"
    _description = "RFM Segment"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        default=10,
        help="Segments are tried in this order; a customer gets the first one "
        "whose score ranges it matches.",
    )
    description = fields.Text(translate=True, help="Suggested action for the team.")
    color = fields.Integer()
    active = fields.Boolean(default=True)
    recency_min = fields.Integer(default=1, help="Lowest recency score (1-5).")
    recency_max = fields.Integer(default=5, help="Highest recency score (1-5).")
    frequency_min = fields.Integer(default=1, help="Lowest frequency score (1-5).")
    frequency_max = fields.Integer(default=5, help="Highest frequency score (1-5).")
    monetary_min = fields.Integer(default=1, help="Lowest monetary score (1-5).")
    monetary_max = fields.Integer(default=5, help="Highest monetary score (1-5).")
    profile_count = fields.Integer(string="Customers", compute="_compute_profile_count")

    def _compute_profile_count(self):
        counts = dict(
            self.env["crm.lifecycle.profile"]._read_group(
                [("segment_id", "in", self.ids)], ["segment_id"], ["__count"]
            )
        )
        for segment in self:
            segment.profile_count = counts.get(segment, 0)

    @api.constrains(
        "recency_min",
        "recency_max",
        "frequency_min",
        "frequency_max",
        "monetary_min",
        "monetary_max",
    )
    def _check_score_ranges(self):
        for segment in self:
            for low, high in (
                (segment.recency_min, segment.recency_max),
                (segment.frequency_min, segment.frequency_max),
                (segment.monetary_min, segment.monetary_max),
            ):
                if not (1 <= low <= high <= 5):
                    raise ValidationError(
                        _(
                            "Segment %(name)s: each score range must run from a "
                            "minimum to a maximum between 1 and 5.",
                            name=segment.name,
                        )
                    )
