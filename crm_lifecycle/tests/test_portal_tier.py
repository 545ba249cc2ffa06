from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPortalTier(HttpCase):
    """The portal shows a customer its own loyalty tier and progress, never
    another customer's, never a score."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        Tier = cls.env["crm.lifecycle.tier"]
        cls.amber = Tier.create(
            {
                "name": "Portal Amber",
                "sequence": 510,
                "company_id": cls.company.id,
                "min_revenue_12m": 1000,
            }
        )
        cls.jade = Tier.create(
            {
                "name": "Portal Jade",
                "sequence": 520,
                "company_id": cls.company.id,
                "min_revenue_12m": 5000,
                "min_predicted_clv": 200000,
                "min_tenure_days": 400,
            }
        )
        cls.customer_1 = cls.env["res.partner"].create(
            {"name": "Portal Customer One", "is_company": True}
        )
        cls.customer_2 = cls.env["res.partner"].create(
            {"name": "Portal Customer Two", "is_company": True}
        )
        Profile = cls.env["crm.lifecycle.profile"].sudo()
        cls.profile_1 = Profile.create(
            {
                "partner_id": cls.customer_1.id,
                "company_id": cls.company.id,
                "tier_id": cls.amber.id,
                "revenue_12m": 1234.5,
                "predicted_clv": 98765,
                "churn_risk": 87,
                "churn_level": "high",
            }
        )
        cls.profile_2 = Profile.create(
            {
                "partner_id": cls.customer_2.id,
                "company_id": cls.company.id,
                "tier_id": cls.jade.id,
                "revenue_12m": 7777,
            }
        )
        cls.user_1 = cls._portal_user("lc_portal_1", cls.customer_1)
        cls.user_2 = cls._portal_user("lc_portal_2", cls.customer_2)

    @classmethod
    def _portal_user(cls, login, customer):
        user = new_test_user(
            cls.env,
            login=login,
            groups="base.group_portal",
            company_id=cls.company.id,
        )
        # a contact of the customer
        user.partner_id.parent_id = customer
        return user

    def _page(self, login, url="/my/tier"):
        self.authenticate(login, login)
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        return response.text

    def _tier_marker(self, tier):
        return f'data-tier-id="{tier.id}"'

    def test_portal_user_sees_own_tier_and_progress(self):
        html = self._page("lc_portal_1")
        self.assertIn(self._tier_marker(self.amber), html)
        self.assertNotIn(self._tier_marker(self.jade), html)
        self.assertIn("Portal Jade", html)  # the next tier
        self.assertIn("1,234.50", html)  # own 12-month revenue of the target
        self.assertIn("5,000.00", html)
        self.assertRegex(html, r">\s*49\s*%\s*<")  # CLV progress: a percentage only
        # the card on /my
        home = self._page("lc_portal_1", "/my")
        self.assertIn(self._tier_marker(self.amber), home)

    def test_other_customer_sees_its_own(self):
        html = self._page("lc_portal_2")
        self.assertIn(self._tier_marker(self.jade), html)
        self.assertNotIn(self._tier_marker(self.amber), html)
        self.assertNotIn("1,234.50", html)

    def test_url_cannot_ask_for_another_partner(self):
        for query in (
            f"?partner_id={self.customer_1.id}",
            f"?profile_id={self.profile_1.id}",
            f"?tier_id={self.amber.id}",
        ):
            html = self._page("lc_portal_2", "/my/tier" + query)
            self.assertIn(self._tier_marker(self.jade), html)
            self.assertNotIn(self._tier_marker(self.amber), html)
            self.assertNotIn("1,234.50", html)

    def test_no_score_in_html(self):
        for url in ("/my/tier", "/my"):
            html = self._page("lc_portal_1", url)
            for secret in ("98765", "98,765", "98 765"):
                self.assertNotIn(secret, html)
            self.assertNotIn("churn", html.lower())

    def test_portal_has_no_access_to_tier_models(self):
        Tier = self.env["crm.lifecycle.tier"].with_user(self.user_1)
        self.assertFalse(Tier.has_access("read"))
        History = self.env["crm.lifecycle.tier.history"].with_user(self.user_1)
        self.assertFalse(History.has_access("read"))
