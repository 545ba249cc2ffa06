{
    "name": "Customer Collections - Sales Bridge",
    "summary": "Credit holds stop the confirmation and online payment of sale orders",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/crm-lifecycle/crm-lifecycle",
    "author": "Customer Lifecycle Team",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["crm_collections", "sale"],
    "data": [
        "views/sale_order_views.xml",
        "views/sale_portal_templates.xml",
    ],
}
