from odoo import fields, models

from .crm_lifecycle_stage import STAGE_KINDS


class CrmLifecycleHistory(models.Model):
    _name = "crm.lifecycle.history"
    _description = "Customer Lifecycle Stage Change"
    _order = "date desc, id desc"
    _rec_name = "to_stage_id"

    profile_id = fields.Many2one(
        comodel_name="crm.lifecycle.profile",
        required=True,
        index=True,
        ondelete="cascade",
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        required=True,
        index=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, index=True, ondelete="cascade"
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    from_stage_id = fields.Many2one(
        comodel_name="crm.lifecycle.stage", ondelete="restrict"
    )
    to_stage_id = fields.Many2one(
        comodel_name="crm.lifecycle.stage",
        required=True,
        ondelete="restrict",
    )
    from_kind = fields.Selection(STAGE_KINDS)
    to_kind = fields.Selection(STAGE_KINDS, required=True)
    origin = fields.Selection(
        [("engine", "Lifecycle engine"), ("manual", "Manual override")],
        required=True,
        default="engine",
    )
    reason = fields.Char(required=True)
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Changed By",
        default=lambda self: self.env.user,
    )
    duration_days = fields.Integer(
        string="Days in Previous Stage",
        aggregator="avg",
        help="How long the customer stayed in the stage it left.",
    )
