import { registry } from "@web/core/registry";
import { dashboardModel, evaluatedCell } from "@crm_lifecycle/tours/dashboard_tour_utils";

registry.category("web_tour.tours").add("crm_collections_dashboard", {
    steps: () => [
        {
            content: "The Collections dashboard is in the lifecycle group",
            trigger:
                ".o_spreadsheet_dashboard_action .o_search_panel_section:contains(Customer Lifecycle) .o_search_panel_category_value:contains(Collections)",
        },
        {
            trigger: ".o_spreadsheet_dashboard_action .o-grid",
        },
        {
            content: "Its overdue total matches the workspace",
            trigger: ".o_spreadsheet_dashboard_action .o-grid",
            run: async () => {
                const model = dashboardModel();
                if (!model) {
                    throw new Error("No dashboard model found");
                }
                const orm = odoo.__WOWL_DEBUG__.root.env.services.orm;
                const [group] = await orm.readGroup(
                    "crm.collections.workspace",
                    [],
                    ["amount_overdue:sum", "amount_61_90:sum"],
                    [],
                    { lazy: false }
                );
                // B5: overdue, E5: 61-90 days
                const overdue = await evaluatedCell(model, 1, 4);
                const bucket = await evaluatedCell(model, 4, 4);
                if (
                    Math.abs(overdue.value - group.amount_overdue) > 0.01 ||
                    Math.abs(bucket.value - group.amount_61_90) > 0.01
                ) {
                    throw new Error(
                        `Dashboard ${overdue.value} / ${bucket.value}, ` +
                            `workspace ${group.amount_overdue} / ${group.amount_61_90}`
                    );
                }
                document.body.classList.add("o_crm_collections_dashboard_checked");
            },
        },
        {
            content: "The check passed",
            trigger: "body.o_crm_collections_dashboard_checked",
        },
    ],
});
