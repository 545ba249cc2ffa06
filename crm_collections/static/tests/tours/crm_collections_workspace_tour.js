import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("crm_collections_workspace", {
    steps: () => [
        {
            content: "The workspace lists the customers owing money overdue",
            trigger: ".o_list_view .o_data_row:contains(Tour Slow Payer)",
        },
        {
            trigger: ".o_list_view .o_data_row:contains(Tour Recent Payer)",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Filter the 61-90 days bucket",
            trigger: ".o_filter_menu .dropdown-item:contains(61-90 Days)",
            run: "click",
        },
        {
            content: "Only the customers with invoices 61 to 90 days overdue remain",
            trigger:
                ".o_list_view:not(:has(.o_data_row:contains(Tour Recent Payer))) .o_data_row:contains(Tour Slow Payer)",
        },
        {
            content: "Open the customer",
            trigger: ".o_data_row:contains(Tour Slow Payer) .o_data_cell[name=partner_id]",
            run: "click",
        },
        {
            content: "Its aging is shown",
            trigger: ".o_form_view .o_field_widget[name=amount_61_90]:contains(700)",
        },
        {
            content: "Read why the customer is a financial risk",
            trigger:
                ".o_form_view .o_field_widget[name=financial_risk_explanation]:contains(usual balance)",
        },
        {
            content: "Record a promise to pay",
            trigger: "button[name=action_record_promise]",
            run: "click",
        },
        {
            content: "The promise is prefilled with the overdue amount",
            trigger: ".modal .o_field_widget[name=amount] input:value(700.00)",
        },
        {
            content: "Set the promised date",
            trigger: ".modal .o_field_widget[name=date] input",
            run: "edit 12/31/2099",
        },
        {
            trigger: ".modal .o_field_widget[name=move_ids] .o_data_row",
        },
        {
            content: "Save the promise",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "The dialog closes",
            trigger: "body:not(:has(.modal))",
        },
    ],
});
