from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSupportPortal(HttpCase):
    """helpdesk_mgmt's portal rule: a portal user sees the requests of its
    commercial partner (and those it follows): colleagues of the same
    company see each other's; other companies' stay hidden."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.acme = Partner.create({"name": "Acme Portal", "is_company": True})
        cls.globex = Partner.create({"name": "Globex Portal", "is_company": True})
        cls.alice = new_test_user(
            cls.env,
            login="alice_portal",
            password="alice_portal_pw",
            groups="base.group_portal",
        )
        cls.alice.partner_id.parent_id = cls.acme
        cls.bob = new_test_user(
            cls.env,
            login="bob_portal",
            password="bob_portal_pw",
            groups="base.group_portal",
        )
        cls.bob.partner_id.parent_id = cls.acme
        cls.eve = new_test_user(
            cls.env,
            login="eve_portal",
            password="eve_portal_pw",
            groups="base.group_portal",
        )
        cls.eve.partner_id.parent_id = cls.globex
        cls.ticket = cls.env["helpdesk.ticket"].create(
            {
                "name": "Acme complaint",
                "description": "<p>Broken</p><script>alert('x')</script>",
                "partner_id": cls.alice.partner_id.id,
                "type_id": cls.env.ref(
                    "crm_support_ext.helpdesk_ticket_type_complaint"
                ).id,
            }
        )

    def test_other_commercial_partner_by_rpc(self):
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.eve).read(["name", "description"])
        self.assertFalse(self.env["helpdesk.ticket"].with_user(self.eve).search([]))

    def test_colleague_sees_it(self):
        self.ticket.with_user(self.bob).read(["name"])
        self.assertIn(
            self.ticket, self.env["helpdesk.ticket"].with_user(self.bob).search([])
        )

    def test_other_commercial_partner_by_url(self):
        self.authenticate("eve_portal", "eve_portal_pw")
        response = self.url_open(f"/my/ticket/{self.ticket.id}", allow_redirects=False)
        # helpdesk_mgmt redirects to /my on an access error
        self.assertNotIn(b"Acme complaint", response.content)
        self.assertIn(response.status_code, (303, 302, 403, 404))
        self.authenticate("alice_portal", "alice_portal_pw")
        response = self.url_open(f"/my/ticket/{self.ticket.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(b"Acme complaint", response.content)
        self.assertNotIn(b"<script>alert", response.content)

    def test_script_is_sanitised(self):
        self.assertNotIn("<script", self.ticket.description)
        ticket = (
            self.env["helpdesk.ticket"]
            .with_user(self.alice)
            .sudo()
            .create(
                {
                    "name": "From portal",
                    "description": '<p onclick="x()">hi</p><script>steal()</script>',
                    "partner_id": self.alice.partner_id.id,
                }
            )
        )
        self.assertNotIn("<script", ticket.description)
        self.assertNotIn("onclick", ticket.description)
