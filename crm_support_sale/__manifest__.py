{
    "name": "Customer Support - Sales Bridge",
    "summary": "The sale order a support request is about",
    "version": "18.0.1.0.0",
    "category": "Services/Helpdesk",
    "website": "https://github.com/crm-lifecycle/crm-lifecycle",
    "author": "Customer Lifecycle Team",
    "license": "AGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["crm_support_ext", "sale"],
    "data": ["views/helpdesk_ticket_views.xml"],
}
