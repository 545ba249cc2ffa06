import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_lifecycle_override_stage", {
    steps: () => [
        {
            content: "Open the Lifecycle page of the customer",
            trigger: ".o_notebook .nav-link:contains(Lifecycle)",
            run: "click",
        },
        {
            content: "The customer is churned",
            trigger: ".o_field_widget[name=lifecycle_stage_id]:contains(Churned)",
        },
        {
            content: "Its history shows how it got there",
            trigger:
                ".o_field_widget[name=lifecycle_history_ids] .o_data_row:contains(Churned)",
        },
        {
            content: "Override the stage",
            trigger: "button[name=action_lifecycle_override_stage]",
            run: "click",
        },
        {
            content: "Choose the Loyal stage",
            trigger: ".modal .o_field_widget[name=stage_id] input",
            run: "edit Loyal",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Loyal)",
            run: "click",
        },
        {
            content: "Give a reason",
            trigger: ".modal .o_field_widget[name=reason] input",
            run: "edit Key account renegotiating",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The stage is now Loyal and locked",
            trigger: ".o_field_widget[name=lifecycle_stage_id]:contains(Loyal)",
        },
        {
            trigger:
                ".o_field_widget[name=lifecycle_history_ids] .o_data_row:contains(Key account renegotiating)",
        },
    ],
});
