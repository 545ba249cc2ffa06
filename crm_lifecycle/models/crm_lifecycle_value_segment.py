from odoo import api, fields, models
from odoo.exceptions import ValidationError

VALUE_LEVELS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]


class CrmLifecycleValueSegment(models.Model):
    _name = "crm.lifecycle.value.segment"
    _description = "Value Segment"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    description = fields.Text(translate=True, help="Suggested action for the team.")
    color = fields.Integer()
    active = fields.Boolean(default=True)
    current_level = fields.Selection(
        VALUE_LEVELS,
        string="Current Value",
        required=True,
        group_expand=True,
        help="Band of the customer's revenue of the last 12 months among the "
        "company's customers.",
    )
    potential_level = fields.Selection(
        VALUE_LEVELS,
        string="Potential Value",
        required=True,
        help="Band of the customer's predicted lifetime value among the "
        "company's customers.",
    )
    profile_count = fields.Integer(string="Customers", compute="_compute_profile_count")

    def _compute_profile_count(self):
        counts = dict(
            self.env["crm.lifecycle.profile"]._read_group(
                [("value_segment_id", "in", self.ids)],
                ["value_segment_id"],
                ["__count"],
            )
        )
        for segment in self:
            segment.profile_count = counts.get(segment, 0)

    @api.constrains("current_level", "potential_level", "active")
    def _check_one_segment_per_levels(self):
        for segment in self.filtered("active"):
            other = self.search(
                [
                    ("id", "!=", segment.id),
                    ("current_level", "=", segment.current_level),
                    ("potential_level", "=", segment.potential_level),
                ],
                limit=1,
            )
            if other:
                levels = dict(
                    self._fields["current_level"]._description_selection(self.env)
                )
                raise ValidationError(
                    self.env._(
                        "%(segment)s and %(other)s both cover current value "
                        "%(current)s and potential value %(potential)s: archive "
                        "one of them or change its levels.",
                        segment=segment.name,
                        other=other.name,
                        current=levels[segment.current_level],
                        potential=levels[segment.potential_level],
                    )
                )

    def action_view_profiles(self):
        """The customers of this segment, by stage."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_lifecycle.crm_lifecycle_profile_action_value_segments"
        )
        action["display_name"] = self.display_name
        action["context"] = {"search_default_value_segment_id": self.id}
        return action
