{
    "name": "Customer Collections",
    "summary": "Dunning that weighs the debt against the customer's lifetime value",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/crm-lifecycle/crm-lifecycle",
    "author": "Customer Lifecycle Team",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": ["crm_lifecycle", "account"],
    "data": [
        "security/crm_collections_security.xml",
        "views/crm_collections_menus.xml",
    ],
}
