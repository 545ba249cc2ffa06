{
    "name": "Customer Lifecycle: example scoring step (tests)",
    "summary": "Adds a step to the lifecycle scoring pipeline, as the "
    "customisation guide shows; installed by the test suite only",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "website": "https://github.com/crm-lifecycle/crm-lifecycle",
    "author": "Customer Lifecycle Team",
    "license": "LGPL-3",
    "installable": True,
    "depends": ["crm_lifecycle"],
}
