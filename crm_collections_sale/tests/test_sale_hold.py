from odoo import SUPERUSER_ID, Command
from odoo.exceptions import UserError
from odoo.tests import JsonRpcException, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.account_payment.tests.common import AccountPaymentCommon
from odoo.addons.payment.tests.http_common import PaymentHttpCommon
from odoo.addons.sale.tests.common import SaleCommon


@tagged("-at_install", "post_install")
class TestSaleHold(AccountPaymentCommon, SaleCommon, PaymentHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency = cls.sale_order.currency_id
        cls.partner = cls.sale_order.partner_invoice_id
        cls.provider.journal_id.inbound_payment_method_line_ids.filtered(
            lambda line: line.payment_provider_id == cls.provider
        ).payment_account_id = cls.inbound_payment_method_line.payment_account_id
        cls.company = cls.sale_order.company_id
        cls.env.user.groups_id += cls.env.ref(
            "crm_collections.group_collections_manager"
        )
        cls.Hold = cls.env["crm.collections.hold"]
        cls.salesman = new_test_user(
            cls.env,
            login="hold_salesman",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.manager = new_test_user(
            cls.env,
            login="hold_manager",
            groups="base.group_user,sales_team.group_sale_salesman_all_leads,"
            "crm_collections.group_collections_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.customer = cls.sale_order.partner_id.commercial_partner_id

    def _hold(self, company=None):
        return self.Hold._collections_put_on_hold(
            self.customer,
            company or self.company,
            "days_overdue",
            "70 days overdue (threshold 60 days), 1,234.50 overdue.",
            amounts={self.customer.id: 1234.5},
        )

    def test_salesman_refused_with_reason_and_amounts(self):
        self._hold()
        order = self.sale_order.with_user(self.salesman)
        self.assertIn("credit hold", order.crm_collections_hold_message)
        with self.assertRaisesRegex(UserError, "Days overdue") as error:
            order.action_confirm()
        self.assertIn("1,234.50", str(error.exception))
        self.assertIn(self.sale_order.name, str(error.exception))
        self.assertIn(self.sale_order.state, ("draft", "sent"))
        # a context key gives no right
        with self.assertRaises(UserError):
            order.with_context(crm_collections_override=True).action_confirm()
        # nor does running as OdooBot (member of every group)
        with self.assertRaises(UserError):
            self.sale_order.with_user(SUPERUSER_ID).action_confirm()

    def test_manager_override_logged(self):
        hold = self._hold()
        self.sale_order.with_user(self.manager).action_confirm()
        self.assertEqual(self.sale_order.state, "sale")
        self.assertTrue(
            any(
                "collections manager override" in (message.body or "")
                for message in self.sale_order.message_ids
            )
        )
        self.assertTrue(
            any(
                "Override" in (message.body or "")
                and self.sale_order.name in message.body
                for message in hold.message_ids
            )
        )

    def test_hold_of_other_company_does_not_block(self):
        company_b = self.env["res.company"].create({"name": "Hold Company B"})
        self._hold(company_b)
        order = self.sale_order.with_user(self.salesman)
        self.assertFalse(order.crm_collections_hold_message)
        order.action_confirm()
        self.assertEqual(self.sale_order.state, "sale")

    def test_lifted_hold_no_longer_blocks(self):
        hold = self._hold()
        hold._collections_lift("Paid", automatic=True)
        self.sale_order.with_user(self.salesman).action_confirm()
        self.assertEqual(self.sale_order.state, "sale")

    def test_portal_payment_stopped(self):
        self.sale_order.require_payment = True
        self.assertTrue(self.sale_order._has_to_be_paid())
        hold = self._hold()
        self.assertFalse(self.sale_order._has_to_be_paid())
        self.assertTrue(self.sale_order._crm_collections_portal_hold_message())
        self.sale_order._portal_ensure_token()
        # the order page shows the message
        response = self.url_open(self.sale_order.get_portal_url())
        self.assertEqual(response.status_code, 200)
        self.assertIn("crm_collections_hold_alert", response.text)
        # the transaction route refuses to pay
        route_values = {
            "provider_id": self.provider.id,
            "payment_method_id": self.payment_method_id,
            "token_id": None,
            "amount": self.sale_order.amount_total,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": self.sale_order.get_portal_url(),
            "access_token": self.sale_order.access_token,
        }
        with (
            mute_logger("odoo.http"),
            self.assertRaisesRegex(JsonRpcException, "ValidationError"),
        ):
            self._get_processing_values(
                tx_route=self.sale_order.get_portal_url(suffix="/transaction"),
                **route_values,
            )
        self.assertFalse(self.sale_order.transaction_ids)
        # signing is refused too
        result = self.make_jsonrpc_request(
            self._build_url(self.sale_order.get_portal_url(suffix="/accept")),
            {
                "access_token": self.sale_order.access_token,
                "name": "Customer",
                "signature": "R0lGODlhAQABAAAAACw=",
            },
        )
        self.assertIn("cannot be accepted or paid", result["error"])
        self.assertIn(self.sale_order.state, ("draft", "sent"))
        # hold lifted: the same route creates the transaction
        hold._collections_lift("Paid", automatic=True)
        with mute_logger("odoo.addons.payment.models.payment_transaction"):
            self._get_processing_values(
                tx_route=self.sale_order.get_portal_url(suffix="/transaction"),
                **route_values,
            )
        self.assertTrue(self.sale_order.transaction_ids)

    def test_paid_order_of_held_customer_stays_unconfirmed(self):
        self.amount = self.sale_order.amount_total
        tx = self._create_transaction(
            flow="direct",
            sale_order_ids=[Command.set(self.sale_order.ids)],
            reference="HOLD-TX-1",
        )
        hold = self._hold()
        tx._set_done()
        tx._post_process()  # no error
        self.assertIn(self.sale_order.state, ("draft", "sent"))
        self.assertEqual(len(hold.activity_ids), 1)
        self.assertIn(self.sale_order.name, str(hold.activity_ids.note))
        self.assertTrue(
            any(
                "HOLD-TX-1" in (message.body or "")
                for message in self.sale_order.message_ids
            )
        )
        # without a hold the same flow confirms (the test fails without the feature)
        other = self.sale_order.copy()
        hold._collections_lift("Paid", automatic=True)
        tx2 = self._create_transaction(
            flow="direct",
            sale_order_ids=[Command.set(other.ids)],
            reference="HOLD-TX-2",
            amount=other.amount_total,
        )
        tx2._set_done()
        tx2._post_process()
        self.assertEqual(other.state, "sale")
