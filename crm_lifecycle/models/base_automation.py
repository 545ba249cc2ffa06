import logging
from datetime import datetime

from odoo import api, fields, models
from odoo.tools import safe_eval

from odoo.addons.base_automation.models.base_automation import (
    DATE_RANGE_FUNCTION,
    TIME_TRIGGERS,
)

from .crm_lifecycle_playbook import RUN_CODE

_logger = logging.getLogger(__name__)


class BaseAutomation(models.Model):
    """Automation rules that trigger a contact playbook.

    Core runs a time-based rule record by record (one server action call per
    record). A playbook's time-based rules run set-based instead: the records
    whose date entered the window since the last run, found by one search,
    go to the server action at once. A playbook's rule that is activated
    (or created active) starts from that moment: it never fires on dates
    already past, so neither installing nor activating a playbook contacts
    the customers of the history.
    """

    _inherit = "base.automation"

    lifecycle_playbook_id = fields.Many2one(
        comodel_name="crm.lifecycle.playbook",
        string="Contact Playbook",
        ondelete="cascade",
        index="btree_not_null",
        help="The contact playbook this rule runs; its server action is "
        "created with the rule.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        now = fields.Datetime.now()
        for vals in vals_list:
            if vals.get("lifecycle_playbook_id") and vals.get("active", True):
                vals.setdefault("last_run", now)
        automations = super().create(vals_list)
        automations._lifecycle_add_run_actions()
        return automations

    def write(self, vals):
        if vals.get("active"):
            starting = self.filtered(
                lambda rule: rule.lifecycle_playbook_id and not rule.active
            )
        else:
            starting = self.browse()
        result = super().write(vals)
        if starting:
            # a rule switched on starts now: the past does not fire
            super(BaseAutomation, starting).write({"last_run": fields.Datetime.now()})
        if "lifecycle_playbook_id" in vals:
            self._lifecycle_add_run_actions()
        return result

    def _lifecycle_add_run_actions(self):
        """Give the playbooks' rules without an action the server action
        that runs their playbook."""
        missing = self.filtered(
            lambda rule: rule.lifecycle_playbook_id and not rule.action_server_ids
        )
        self.env["ir.actions.server"].sudo().create(
            [
                {
                    "name": rule.lifecycle_playbook_id.name,
                    "model_id": rule.model_id.id,
                    "usage": "base_automation",
                    "base_automation_id": rule.id,
                    "state": "code",
                    "code": RUN_CODE % rule.lifecycle_playbook_id.id,
                }
                for rule in missing
            ]
        )

    @api.model
    def _check(self, automatic=False, use_new_cursor=False):
        rules = self.with_context(active_test=True).search(
            [
                ("trigger", "in", TIME_TRIGGERS),
                ("lifecycle_playbook_id", "!=", False),
            ]
        )
        for rule in rules:
            rule._lifecycle_check_time_rule()
            if automatic:
                # commit each rule's contacts, as core's _check does
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return super(
            BaseAutomation, self.with_context(lifecycle_skip_rule_ids=rules.ids)
        )._check(automatic=automatic, use_new_cursor=use_new_cursor)

    def _process(self, records, domain_post=None):
        if self.id in self.env.context.get("lifecycle_skip_rule_ids", ()):
            return None
        return super()._process(records, domain_post=domain_post)

    def _lifecycle_window_domain(self, now):
        """Domain on the trigger date: the records due (date + delay) since
        the last run. Datetimes as core does (``last_run <= date + delay <
        now``). Dates by day, the last run's day included: a date the nightly
        scoring sets to today after a run of the same day is not missed (the
        playbook's log keeps the customers contacted earlier that day from a
        second contact)."""
        self.ensure_one()
        if self.trigger == "on_time_created":
            name = "create_date"
        elif self.trigger == "on_time_updated":
            name = "write_date"
        else:
            name = self.trg_date_id.name
        delay = DATE_RANGE_FUNCTION[self.trg_date_range_type](self.trg_date_range)
        last_run = self.last_run or datetime.fromtimestamp(0)
        low, high = last_run - delay, now - delay
        if self.env[self.model_name]._fields[name].type == "date":
            return [(name, ">=", low.date()), (name, "<=", high.date())]
        return [(name, ">=", low), (name, "<", high)]

    def _lifecycle_check_time_rule(self):
        """Run a playbook's time-based rule on all its due records at once."""
        self.ensure_one()
        now = fields.Datetime.now()
        domain = []
        if self.filter_domain:
            domain = safe_eval.safe_eval(self.filter_domain, self._get_eval_context())
        records = self.env[self.model_name].search(
            [*domain, *self._lifecycle_window_domain(now)]
        )
        _logger.info(
            "Time-based playbook rule `%s`: %d records.", self.name, len(records)
        )
        if records:
            for action in self.sudo().action_server_ids:
                action.with_context(
                    active_model=records._name,
                    active_ids=records.ids,
                    active_id=records[:1].id,
                ).run()
        self.write({"last_run": now})
