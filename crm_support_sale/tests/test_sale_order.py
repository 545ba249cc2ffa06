from odoo.exceptions import ValidationError
from odoo.tests import Form, TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestSupportSaleOrder(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Order Customer", "is_company": True}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Olga Order", "parent_id": cls.customer.id}
        )
        cls.other = cls.env["res.partner"].create({"name": "Other Customer"})
        product = cls.env["product.product"].create({"name": "Support Widget"})
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [(0, 0, {"product_id": product.id})],
            }
        )
        cls.agent = new_test_user(
            cls.env,
            login="sale_support_agent",
            groups="crm_support_ext.group_support_user,sales_team.group_sale_salesman",
        )

    def test_request_about_an_order_of_its_customer(self):
        ticket = self.env["helpdesk.ticket"].create(
            {
                "name": "Late delivery",
                "description": "<p>Still waiting.</p>",
                "partner_id": self.contact.id,
                "sale_order_id": self.order.id,
            }
        )
        self.assertEqual(ticket.sale_order_id, self.order)
        # the form offers the customer's orders only
        form = Form(ticket.with_user(self.agent))
        self.assertEqual(form.sale_order_id, self.order)

    def test_order_of_another_customer_refused(self):
        with self.assertRaisesRegex(ValidationError, "not an order"):
            self.env["helpdesk.ticket"].create(
                {
                    "name": "Wrong order",
                    "description": "<p>?</p>",
                    "partner_id": self.other.id,
                    "sale_order_id": self.order.id,
                }
            )
