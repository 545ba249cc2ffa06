import { registry } from "@web/core/registry";
import { dashboardModel, evaluatedCell } from "@crm_lifecycle/tours/dashboard_tour_utils";

registry.category("web_tour.tours").add("crm_support_dashboard", {
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
            content: "Open the Support menu",
            trigger: ".o_menu_sections .dropdown-toggle:contains(Support)",
            run: "click",
        },
        {
            content: "Open the support dashboard",
            trigger: ".dropdown-item[data-menu-xmlid='crm_support_ext.crm_support_ext_menu_dashboard']",
            run: "click",
        },
        {
            content: "The dashboard is in the Customer Lifecycle group",
            trigger: ".o_spreadsheet_dashboard_action .o_search_panel_section:contains(Customer Lifecycle)",
        },
        {
            trigger: ".o_spreadsheet_dashboard_action .o-grid",
        },
        {
            content: "Its total requests and CSAT match the report",
            trigger: ".o_spreadsheet_dashboard_action .o-grid",
            run: async () => {
                const model = dashboardModel();
                if (!model) {
                    throw new Error("No dashboard model found");
                }
                const title = await evaluatedCell(model, 0, 0);
                if (title.value !== "Customer Support") {
                    throw new Error(`Another dashboard is shown: ${title.value}`);
                }
                const orm = odoo.__WOWL_DEBUG__.root.env.services.orm;
                const [all] = await orm.readGroup(
                    "crm.support.kpi.ticket",
                    [],
                    ["request_count:sum", "csat:avg"],
                    [],
                    { lazy: false }
                );
                // row 9: the totals (B9 requests, G9 CSAT)
                const requests = await evaluatedCell(model, 1, 8);
                const csat = await evaluatedCell(model, 6, 8);
                if (
                    requests.value !== all.request_count ||
                    Math.abs(csat.value - all.csat) > 1e-6
                ) {
                    throw new Error(
                        `Dashboard ${requests.value} requests, CSAT ${csat.value}; ` +
                            `report ${all.request_count}, ${all.csat}`
                    );
                }
                document.body.classList.add("o_crm_support_dashboard_checked");
            },
        },
        {
            content: "The check passed",
            trigger: "body.o_crm_support_dashboard_checked",
        },
    ],
});
