{
    "name": "Customer Lifecycle - Sale Loyalty",
    "summary": "Loyalty tier pricelists on sale orders and tier points "
    "multipliers on Odoo loyalty programmes",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/crm-lifecycle/crm-lifecycle",
    "author": "Customer Lifecycle Team",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["crm_lifecycle", "sale_loyalty"],
    "data": [],
}
