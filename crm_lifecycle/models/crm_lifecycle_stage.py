from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..lib import stage_engine

STAGE_KINDS = [
    (stage_engine.PROSPECT, "Prospect"),
    (stage_engine.NEW, "New"),
    (stage_engine.ACTIVE, "Active"),
    (stage_engine.LOYAL, "Loyal"),
    (stage_engine.AT_RISK, "At risk"),
    (stage_engine.CHURNED, "Churned"),
    (stage_engine.WON_BACK, "Won back"),
]


class CrmLifecycleStage(models.Model):
    _name = "crm.lifecycle.stage"
    _description = "Customer Lifecycle Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        STAGE_KINDS,
        required=True,
        default=stage_engine.ACTIVE,
        help="What the stage means to the lifecycle engine. The engine puts a "
        "customer in the first active stage (by sequence) of the kind its "
        "purchase figures call for.",
    )
    fold = fields.Boolean(
        string="Folded in Pipeline",
        help="Fold this stage in the kanban view of customers by stage.",
    )
    color = fields.Integer()
    description = fields.Text(
        translate=True, help="What this stage means for the team, shown as a tooltip."
    )
    active = fields.Boolean(default=True)
    profile_count = fields.Integer(string="Customers", compute="_compute_profile_count")

    def _compute_profile_count(self):
        counts = dict(
            self.env["crm.lifecycle.profile"]._read_group(
                [("stage_id", "in", self.ids)], ["stage_id"], ["__count"]
            )
        )
        for stage in self:
            stage.profile_count = counts.get(stage, 0)

    def write(self, vals):
        if "kind" not in vals and vals.get("active", True):
            return super().write(vals)
        kinds = set(self.mapped("kind"))
        result = super().write(vals)
        self._check_kinds_covered(kinds)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_last_of_kind(self):
        self._check_kinds_covered(set(self.mapped("kind")), exclude=self)
        if self.env["crm.lifecycle.profile"].search_count(
            [("stage_id", "in", self.ids)], limit=1
        ):
            raise ValidationError(
                _(
                    "Customers are in this stage: archive it instead, or move "
                    "them to another stage first."
                )
            )

    @api.model
    def _check_kinds_covered(self, kinds, exclude=None):
        """Each of ``kinds`` keeps an active stage: the engine needs one."""
        domain = [("kind", "in", list(kinds))]
        if exclude:
            domain.append(("id", "not in", exclude.ids))
        covered = {kind for [kind] in self._read_group(domain, ["kind"])}
        labels = dict(self._fields["kind"]._description_selection(self.env))
        missing = [labels[kind] for kind in kinds - covered]
        if missing:
            raise ValidationError(
                _(
                    "The lifecycle engine needs an active stage of each kind; "
                    "this would leave none for: %(kinds)s.",
                    kinds=", ".join(sorted(missing)),
                )
            )

    @api.model
    def _get_stage_by_kind(self):
        """Return ``{kind: stage}`` with the first active stage of each kind."""
        stages = {}
        for stage in self.search([]):
            stages.setdefault(stage.kind, stage)
        return stages
