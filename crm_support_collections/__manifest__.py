{
    "name": "Customer Support - Collections Bridge",
    "summary": "A complaint about an invoice disputes it for dunning while open",
    "version": "18.0.1.0.0",
    "category": "Services/Helpdesk",
    "website": "https://github.com/crm-lifecycle/crm-lifecycle",
    "author": "Customer Lifecycle Team",
    "license": "AGPL-3",
    "application": False,
    "installable": True,
    "auto_install": True,
    "depends": ["crm_support_ext", "crm_collections"],
}
