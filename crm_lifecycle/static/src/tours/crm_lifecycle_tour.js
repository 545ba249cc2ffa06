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

registry.category("web_tour.tours").add("crm_lifecycle_value_model_holdout", {
    steps: () => [
        {
            content: "Open the value model in use",
            trigger: ".o_data_row:first .o_data_cell[name=as_of_date]",
            run: "click",
        },
        {
            content: "The card shows the fitted parameters",
            trigger: ".o_field_widget[name=bgnbd_r]",
        },
        {
            content: "Choose the holdout period",
            trigger: ".o_field_widget[name=holdout_weeks] input",
            run: "edit 26",
        },
        {
            content: "Run the holdout validation",
            trigger: "button[name=action_run_holdout]",
            run: "click",
        },
        {
            content: "It is queued for the background job",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Queued)",
        },
        {
            content: "Its progress is shown on the card",
            trigger: ".o_field_widget[name=holdout_progress]",
        },
    ],
});

registry.category("web_tour.tours").add("crm_lifecycle_value_model_read", {
    steps: () => [
        {
            content: "The validation is done",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Done)",
        },
        {
            content: "The calibration / holdout chart is drawn",
            trigger: ".o_crm_lifecycle_holdout_chart canvas",
        },
        {
            content: "The table shows actual and predicted purchases by bucket",
            trigger:
                ".o_field_widget[name=holdout_line_ids] .o_data_row:first .o_data_cell[name=bucket_label]:contains(0)",
        },
        {
            content: "The total error is shown",
            trigger: ".o_field_widget[name=holdout_error]",
        },
    ],
});

registry.category("web_tour.tours").add("crm_lifecycle_tier", {
    steps: () => [
        {
            content: "The contact's Lifecycle page shows its loyalty tier",
            trigger: ".o_notebook .nav-link:contains(Lifecycle)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=lifecycle_tier_id]:contains(Tour Silver)",
        },
        {
            content: "Open the customer's lifecycle",
            trigger: "button[name=action_lifecycle_open_profile]",
            run: "click",
        },
        {
            content: "The lifecycle form shows the tier",
            trigger: ".o_field_widget[name=tier_id]:contains(Tour Silver)",
        },
        {
            content: "Open the tier history",
            trigger: ".o_notebook .nav-link:contains(Tier History)",
            run: "click",
        },
        {
            content: "The promotion from Bronze to Silver is listed",
            trigger:
                ".o_field_widget[name=tier_history_ids] .o_data_row:contains(Promotion):contains(Tour Bronze)",
        },
        {
            trigger:
                ".o_field_widget[name=tier_history_ids] .o_data_row:contains(First tier)",
        },
    ],
});
