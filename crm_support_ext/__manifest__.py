{
    "name": "Customer Support for the Lifecycle",
    "summary": "Complaints and technical assistance with first-response SLAs, "
    "feeding churn risk",
    "version": "18.0.1.0.0",
    "category": "Services/Helpdesk",
    "website": "https://github.com/crm-lifecycle/crm-lifecycle",
    "author": "Customer Lifecycle Team",
    "license": "LGPL-3",
    "application": False,
    "installable": True,
    "depends": ["crm_lifecycle"],
    "data": [
        "security/crm_support_ext_security.xml",
        "views/crm_support_ext_menus.xml",
    ],
}
