from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import LifecycleCommon

SHIPPED = {
    "courtesy_call": "activity",
    "service_reminder": "email",
    "anniversary": "email",
    "repurchase_offer": "activity",
    "retention_call": "activity",
    "win_back": "email",
}


@tagged("post_install", "-at_install")
class TestPlaybook(LifecycleCommon):
    """Contact playbooks: the shipped ones fire once and never on the
    history; do-not-contact, blacklist, one owner per reason, daily cap,
    preview."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the triggers compare with the real clock: dates relative to it
        cls.today = fields.Date.today()
        cls.Playbook = cls.env["crm.lifecycle.playbook"]
        cls.Activity = cls.env["mail.activity"]
        cls.seller = new_test_user(
            cls.env,
            login="lc_seller",
            groups="sales_team.group_sale_salesman,crm_lifecycle.group_lifecycle_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.seller2 = new_test_user(
            cls.env,
            login="lc_seller2",
            groups="sales_team.group_sale_salesman,crm_lifecycle.group_lifecycle_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.shipped = {
            code: cls.env.ref(f"crm_lifecycle.crm_lifecycle_playbook_{code}")
            for code in SHIPPED
        }
        for playbook in cls.shipped.values():
            # shipped for the main company
            playbook.sudo().company_id = cls.company
        # a customer of the history: it bought long ago, was at risk and
        # churned long ago
        cls.old = cls._customer("Old", email="old@example.com", user_id=cls.seller.id)
        cls.old_profile = cls._set_profile(
            cls.old,
            first_purchase_date=cls.today - timedelta(days=900),
            next_anniversary_date=cls.today - timedelta(days=30),
            service_due_date=cls.today - timedelta(days=100),
            repurchase_due_date=cls.today - timedelta(days=40),
            stage_kind="churned",
            stage_date=cls.today - timedelta(days=60),
        )

    @classmethod
    def _set_profile(cls, partner, stage_kind=None, **vals):
        """A profile with engine values written as the engine does."""
        profile = (
            cls.env["crm.lifecycle.profile"]
            .sudo()
            .create({"partner_id": partner.id, "company_id": cls.company.id})
        )
        if stage_kind:
            vals["stage_id"] = cls.stages[stage_kind].id
        profile.write(vals)
        return profile.sudo(False)

    def _activities(self, partners, code=None):
        domain = [("lifecycle_partner_id", "in", partners.ids)]
        if code:
            domain.append(("lifecycle_reason", "=", code))
        return self.Activity.sudo().search(domain)

    def _emails(self, playbook, profiles):
        """The emails queued by ``playbook`` to ``profiles``."""
        contacts = self.env["crm.lifecycle.playbook.contact"].search(
            [("playbook_id", "=", playbook.id), ("profile_id", "in", profiles.ids)]
        )
        self.assertEqual(set(contacts.mapped("channel")) - {"email"}, set())
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [
                    ("model", "=", "crm.lifecycle.profile"),
                    ("res_id", "in", profiles.ids),
                    ("subject", "ilike", playbook.mail_template_id.subject[:10]),
                ]
            )
        )
        self.assertEqual(len(mails), len(contacts))
        return mails

    def _activate(self, playbooks, since=None):
        """Activate ``playbooks``; ``since``: pretend it was at that time."""
        playbooks.active = True
        if since:
            playbooks.automation_ids.sudo().write({"last_run": since})

    def test_shipped_inactive_with_run_actions(self):
        for code, channel in SHIPPED.items():
            playbook = self.shipped[code]
            self.assertFalse(playbook.active)
            self.assertEqual(playbook.channel, channel)
            self.assertTrue(playbook.automation_ids)
            for rule in playbook.automation_ids:
                self.assertFalse(rule.active)
                self.assertEqual(rule.trigger, "on_time")
                self.assertEqual(rule.model_id.model, "crm.lifecycle.profile")
                self.assertIn(
                    f"browse({playbook.id})._lifecycle_run_playbook(records)",
                    rule.action_server_ids.code,
                )
        # retention: on entering At risk or a high churn risk
        self.assertEqual(len(self.shipped["retention_call"].automation_ids), 2)

    def test_never_on_history(self):
        """Installed inactive, then activated: the customers of the history
        are not contacted, by the cron nor by activating."""
        Automation = self.env["base.automation"]
        # dates inside the conditions' windows but before the activation:
        # core would fire them at the first run (its last run is empty)
        recent = self._customer(
            "Recent", email="recent@example.com", user_id=self.seller.id
        )
        self._set_profile(
            recent,
            first_purchase_date=self.today - timedelta(days=2),
            next_anniversary_date=self.today - timedelta(days=1),
            repurchase_due_date=self.today - timedelta(days=1),
            stage_kind="at_risk",
            stage_date=self.today - timedelta(days=1),
        )
        Automation._check()
        playbooks = self.Playbook.browse([pb.id for pb in self.shipped.values()])
        before = fields.Datetime.now()
        self._activate(playbooks)
        for rule in playbooks.automation_ids:
            self.assertTrue(rule.active)
            self.assertGreaterEqual(rule.last_run, before - timedelta(seconds=1))
        Automation._check()
        Automation._check()
        self.assertFalse(self._activities(self.old | recent))
        self.assertFalse(
            self.env["crm.lifecycle.playbook.contact"].search(
                [("partner_id", "in", (self.old | recent).ids)]
            )
        )

    def test_each_shipped_playbook_fires_once(self):
        today = self.today
        partners = {
            code: self._customer(
                code, email=f"{code}@example.com", user_id=self.seller.id
            )
            for code in SHIPPED
        }
        risky = self._customer(
            "Risky", email="risky@example.com", user_id=self.seller.id
        )
        profiles = {
            "courtesy_call": self._set_profile(
                partners["courtesy_call"], first_purchase_date=today - timedelta(days=1)
            ),
            "service_reminder": self._set_profile(
                partners["service_reminder"],
                service_due_date=today + timedelta(days=14),
            ),
            "anniversary": self._set_profile(
                partners["anniversary"], next_anniversary_date=today
            ),
            "repurchase_offer": self._set_profile(
                partners["repurchase_offer"], repurchase_due_date=today
            ),
            "retention_call": self._set_profile(
                partners["retention_call"], stage_kind="at_risk", stage_date=today
            ),
            "win_back": self._set_profile(
                partners["win_back"], stage_kind="churned", stage_date=today
            ),
        }
        risky_profile = self._set_profile(
            risky, churn_level="high", churn_level_date=today
        )
        playbooks = self.Playbook.browse([pb.id for pb in self.shipped.values()])
        # activated late yesterday: today's dates enter the window
        self._activate(
            playbooks, since=datetime.combine(today, time.min) - timedelta(hours=1)
        )
        Automation = self.env["base.automation"]
        Automation._check()
        Automation._check()
        for code, channel in SHIPPED.items():
            playbook = self.shipped[code]
            others = self.env["res.partner"].union(
                *(p for c, p in partners.items() if c != code)
            )
            if channel == "activity":
                activities = self._activities(partners[code])
                self.assertEqual(len(activities), 1, code)
                self.assertEqual(activities.lifecycle_reason, code)
                self.assertEqual(activities.user_id, self.seller)
                self.assertEqual(activities.res_id, profiles[code].id)
                self.assertEqual(activities.lifecycle_playbook_id, playbook)
            else:
                self.assertEqual(len(self._emails(playbook, profiles[code])), 1, code)
                self.assertFalse(self._activities(partners[code]))
            # the playbook contacted no one else of the test customers
            self.assertFalse(self._activities(others | self.old, code))
        self.assertEqual(len(self._activities(risky, "retention_call")), 1)
        self.assertTrue(risky_profile)
        self.assertFalse(self._activities(self.old))

    def test_once_when_the_date_is_set_after_a_run(self):
        """The nightly scoring sets today's dates after the rule's first run
        of the day: the next run contacts the customer, and only once, even
        after the activity is done."""
        playbook = self.shipped["courtesy_call"]
        self._activate(playbook, since=datetime.combine(self.today, time(0, 30)))
        partner = self._customer("Late", user_id=self.seller.id)
        # written after the run of 00:30: core would never fire it
        self._set_profile(partner, first_purchase_date=self.today - timedelta(days=1))
        Automation = self.env["base.automation"]
        Automation._check()
        activity = self._activities(partner)
        self.assertEqual(len(activity), 1)
        activity.action_feedback()
        Automation._check()
        Automation._check()
        self.assertFalse(self._activities(partner))
        contacts = self.env["crm.lifecycle.playbook.contact"].search(
            [("partner_id", "=", partner.id)]
        )
        self.assertEqual(len(contacts), 1)
        self.assertEqual(contacts.user_id, self.seller)

    def test_do_not_contact_and_blacklist(self):
        playbook = self.shipped["courtesy_call"]
        mailing = self.shipped["win_back"]
        (playbook | mailing).active = True
        flagged = self._customer(
            "Flagged",
            email="flagged@example.com",
            user_id=self.seller.id,
            lifecycle_no_contact_activity=True,
        )
        contact = self.env["res.partner"].create(
            {"name": "Flagged contact", "parent_id": flagged.id}
        )
        self.assertTrue(contact.lifecycle_no_contact_activity)  # commercial field
        no_mail = self._customer(
            "No mail",
            email="nomail@example.com",
            user_id=self.seller.id,
            lifecycle_no_contact_email=True,
        )
        listed = self._customer(
            "Listed", email="listed@example.com", user_id=self.seller.id
        )
        self.env["mail.blacklist"].sudo()._add("listed@example.com")
        fine = self._customer("Fine", email="fine@example.com", user_id=self.seller.id)
        profiles = self.Profile
        for partner in (flagged, no_mail, listed, fine):
            profiles |= self._set_profile(partner)
        stats = playbook._lifecycle_run_playbook(profiles)
        self.assertEqual(stats["no_contact"], 1)
        self.assertEqual(stats["activity"], 3)
        self.assertFalse(self._activities(flagged))
        # the email flag does not stop activities, the activity flag emails
        self.assertTrue(self._activities(no_mail))
        stats = mailing._lifecycle_run_playbook(profiles)
        self.assertEqual(stats["no_contact"], 1)
        self.assertEqual(stats["blacklisted"], 1)
        self.assertEqual(stats["email"], 2)
        emailed = self._emails(mailing, profiles)
        self.assertEqual(
            set(emailed.mapped("res_id")),
            {self._profile(flagged).id, self._profile(fine).id},
        )
        message = emailed.filtered(lambda m: m.res_id == self._profile(fine).id)
        self.assertIn("Dear Fine", " ".join(str(message.body).split()))
        self.assertEqual(message.partner_ids, fine)

    def test_one_owner_per_reason(self):
        """An open activity of the same reason on another record of the same
        company blocks a new one; its owner shows on every contact."""
        playbook = self.shipped["courtesy_call"]
        playbook.active = True
        customer = self._customer("Acme", user_id=self.seller.id)
        contact = self.env["res.partner"].create(
            {"name": "Acme buyer", "parent_id": customer.id}
        )
        profile = self._set_profile(customer)
        existing = self.Activity.create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": contact.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                "user_id": self.seller2.id,
                "lifecycle_reason": "courtesy_call",
                "lifecycle_partner_id": customer.id,
            }
        )
        stats = playbook._lifecycle_run_playbook(profile)
        self.assertEqual(stats["already_open"], 1)
        self.assertEqual(self._activities(customer), existing)
        # another reason is not blocked
        retention = self.shipped["retention_call"]
        retention.active = True
        self.assertEqual(retention._lifecycle_run_playbook(profile)["activity"], 1)
        # the panel of the contact and of the company: both, with owners
        for partner in (contact, customer):
            panel = partner.lifecycle_open_activity_ids
            self.assertEqual(len(panel), 2)
            self.assertIn(self.seller2, panel.user_id)
            self.assertEqual(
                set(panel.mapped("lifecycle_reason")),
                {"courtesy_call", "retention_call"},
            )
        # done: a new one may be created
        existing.action_feedback()
        self.assertEqual(playbook._lifecycle_run_playbook(profile)["activity"], 1)

    def test_daily_cap(self):
        playbook = self.shipped["repurchase_offer"]
        playbook.write({"active": True, "daily_cap": 2})
        customers = self.env["res.partner"]
        profiles = self.Profile
        for index in range(5):
            partner = self._customer(f"Capped {index}", user_id=self.seller.id)
            customers |= partner
            profiles |= self._set_profile(partner)
        stats = playbook._lifecycle_run_playbook(profiles)
        self.assertEqual(stats["activity"], 2)
        self.assertEqual(stats["capped"], 3)
        # the same day: the cap is reached
        stats = playbook._lifecycle_run_playbook(profiles)
        self.assertEqual(stats["activity"], 0)
        self.assertEqual(stats["recently_contacted"], 2)
        self.assertEqual(stats["capped"], 3)
        self.assertEqual(len(self._activities(customers)), 2)
        # a team shares the customers without a salesperson between members
        team = self.env["crm.team"].create(
            {
                "name": "Callers",
                "member_ids": [Command.set((self.seller | self.seller2).ids)],
            }
        )
        teamed = self.shipped["retention_call"]
        teamed.write(
            {"active": True, "daily_cap": 2, "owner_rule": "team", "team_id": team.id}
        )
        stats = teamed._lifecycle_run_playbook(profiles)
        self.assertEqual(stats["activity"], 4)
        self.assertEqual(stats["capped"], 1)
        owners = self._activities(customers, "retention_call").user_id
        self.assertEqual(owners, self.seller | self.seller2)

    def test_queries_do_not_grow_with_customers(self):
        """No query per customer: contacting 30 customers costs what 3 do."""
        playbook = self.shipped["repurchase_offer"]
        playbook.write({"active": True, "daily_cap": 0})
        counts = []
        for size in (3, 30):
            profiles = self.Profile
            for index in range(size):
                partner = self._customer(f"Q{size} {index}", user_id=self.seller.id)
                profiles |= self._set_profile(partner)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            stats = playbook._lifecycle_run_playbook(profiles)
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(stats["activity"], size)
        self.assertGreater(counts[0], 5)
        self.assertLessEqual(counts[1], counts[0] + 2, counts)

    def test_preview_count(self):
        playbook = self.shipped["retention_call"]
        for index in range(3):
            self._set_profile(
                self._customer(f"At risk {index}"),
                stage_kind="at_risk",
                stage_date=self.today,
            )
        self._set_profile(
            self._customer("At risk long ago"),
            stage_kind="at_risk",
            stage_date=self.today - timedelta(days=30),
        )
        self.assertEqual(playbook.preview_count, 3)
        self.env.user.groups_id += self.env.ref("base.group_system")
        with Form(playbook) as form:
            with form.automation_ids.edit(0) as rule:
                rule.filter_domain = "[('stage_kind', '=', 'at_risk')]"
            # recomputed before saving
            self.assertEqual(form.preview_count, 4)
            form.automation_ids.remove(0)
            self.assertEqual(form.preview_count, 0)
            form.automation_ids.remove(0)

    def test_added_rule_gets_run_action(self):
        """A playbook made from the UI: a rule added to it runs it."""
        playbook = self.Playbook.create(
            {
                "name": "Birthday",
                "code": "birthday",
                "automation_ids": [
                    Command.create(
                        {
                            "name": "Birthday rule",
                            "model_id": self.env["ir.model"]._get_id(
                                "crm.lifecycle.profile"
                            ),
                            "trigger": "on_time",
                            "trg_date_id": self.env["ir.model.fields"]
                            ._get("crm.lifecycle.profile", "next_anniversary_date")
                            .id,
                            "trg_date_range_type": "day",
                        }
                    )
                ],
            }
        )
        rule = playbook.automation_ids
        self.assertIn(f"browse({playbook.id})", rule.action_server_ids.code)
        # created active: it starts now, the past does not fire
        self.assertTrue(rule.last_run)

    def test_copy_for_another_company(self):
        playbook = self.shipped["retention_call"]
        other = self.env["res.company"].create({"name": "Other Root"})
        self.env.user.company_ids += other
        copy = playbook.copy({"company_id": other.id})
        self.assertEqual(copy.code, "retention_call")
        self.assertEqual(len(copy.automation_ids), 2)
        self.assertFalse(any(copy.automation_ids.mapped("active")))
        for rule in copy.automation_ids:
            self.assertIn(f"browse({copy.id})", rule.action_server_ids.code)
        self.assertEqual(len(playbook.automation_ids), 2)
        self.assertEqual(playbook.copy().code, "retention_call_copy")

    def test_access(self):
        playbook = self.shipped["courtesy_call"]
        self.assertEqual(playbook.with_user(self.seller).name, playbook.name)
        with self.assertRaises(AccessError):
            playbook.with_user(self.seller).write({"daily_cap": 1000})
        # a lifecycle manager who is no administrator previews and edits
        self.assertEqual(playbook.with_user(self.manager).preview_count, 0)
        playbook.with_user(self.manager).write({"daily_cap": 5, "active": True})
        self.assertTrue(all(playbook.automation_ids.mapped("active")))
        other = self.env["res.company"].create({"name": "Other Co"})
        foreign = self.Playbook.create(
            {"name": "Foreign", "code": "foreign", "company_id": other.id}
        )
        self.assertFalse(
            self.Playbook.with_user(self.manager).search([("id", "=", foreign.id)])
        )
