import { registry } from "@web/core/registry";
import { dashboardModel, evaluatedCell } from "@crm_lifecycle/tours/dashboard_tour_utils";

registry.category("web_tour.tours").add("crm_lifecycle_dashboard", {
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Customer Lifecycle app",
            trigger: ".o_app[data-menu-xmlid='crm_lifecycle.crm_lifecycle_menu_root']",
            run: "click",
        },
        {
            content: "Open the Reporting menu",
            trigger: ".o_menu_sections .dropdown-toggle:contains(Reporting)",
            run: "click",
        },
        {
            content: "Open the dashboard",
            trigger: ".dropdown-item[data-menu-xmlid='crm_lifecycle.crm_lifecycle_dashboard_menu']",
            run: "click",
        },
        {
            content: "The Customer Lifecycle dashboard is shown",
            trigger: ".o_spreadsheet_dashboard_action .o_search_panel_section:contains(Customer Lifecycle)",
        },
        {
            trigger: ".o_spreadsheet_dashboard_action .o-grid",
        },
        {
            content: "Its customers by stage match the report",
            trigger: ".o_spreadsheet_dashboard_action .o-grid",
            run: async () => {
                const model = dashboardModel();
                if (!model) {
                    throw new Error("No dashboard model found");
                }
                const orm = odoo.__WOWL_DEBUG__.root.env.services.orm;
                const groups = await orm.readGroup(
                    "crm.lifecycle.kpi.value",
                    [],
                    ["stage_id", "customer_count:sum"],
                    ["stage_id"],
                    { lazy: false }
                );
                if (!groups.length) {
                    throw new Error("The report is empty");
                }
                // A5/B5: the first stage of the pivot and its customers
                const header = await evaluatedCell(model, 0, 4);
                const count = await evaluatedCell(model, 1, 4);
                const [first] = groups;
                if (
                    header.formattedValue !== first.stage_id[1] ||
                    count.value !== first.customer_count
                ) {
                    throw new Error(
                        `Dashboard shows ${header.formattedValue}: ${count.value}, ` +
                            `report ${first.stage_id[1]}: ${first.customer_count}`
                    );
                }
                // the total: B13
                const total = await evaluatedCell(model, 1, 12);
                const expected = groups.reduce((sum, g) => sum + g.customer_count, 0);
                if (total.value !== expected) {
                    throw new Error(`Dashboard total ${total.value}, report ${expected}`);
                }
                document.body.classList.add("o_crm_lifecycle_dashboard_checked");
            },
        },
        {
            content: "The check passed",
            trigger: "body.o_crm_lifecycle_dashboard_checked",
        },
    ],
});
