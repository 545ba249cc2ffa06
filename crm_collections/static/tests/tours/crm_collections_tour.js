import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_collections_collector_review", {
    steps: () => [
        {
            content: "The run is in review",
            trigger: "button[name=action_validate]",
        },
        {
            content: "Open the line of Tour Letter Ltd",
            trigger:
                ".o_data_row:contains(Tour Letter Ltd) .o_list_record_open_form_view button",
            run: "click",
        },
        {
            content: "Read why the customer gets a reminder",
            trigger: ".o_field_widget[name=explanation]:contains(because invoice)",
        },
        {
            trigger: ".o_field_widget[name=explanation]:contains(days overdue)",
        },
        {
            content: "Back to the run",
            trigger: ".o_breadcrumb .breadcrumb-item:not(.active):last a",
            run: "click",
        },
        {
            content: "Remove the line of Tour Removed Ltd",
            trigger: ".o_data_row:contains(Tour Removed Ltd) button[name=action_cancel]",
            run: "click",
        },
        {
            content: "The line is cancelled",
            trigger: ".o_data_row:contains(Tour Removed Ltd):contains(Cancelled)",
        },
        {
            content: "Validate the run",
            trigger: "button[name=action_validate]",
            run: "click",
        },
        {
            content: "The sending job will send the lines",
            trigger: "button[name=action_send_now]",
        },
    ],
});

registry.category("web_tour.tours").add("crm_collections_letter_in_chatter", {
    steps: () => [
        {
            content: "The letter is logged in the customer's chatter",
            trigger: ".o-mail-Message:contains(Payment reminder letter)",
        },
        {
            content: "with the letter attached",
            trigger:
                ".o-mail-Message:contains(Payment reminder letter) .o-mail-AttachmentList:contains(Reminder Tour Letter Ltd)",
        },
    ],
});
