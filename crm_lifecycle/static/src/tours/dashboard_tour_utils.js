/**
 * Helpers of the dashboard tours (crm_lifecycle, crm_support_ext): read a
 * spreadsheet dashboard as the user sees it.
 */

/**
 * The spreadsheet model of the dashboard shown (the grid is a canvas: its
 * cells are read from the model, as the user sees them).
 */
export function dashboardModel() {
    const stack = [odoo.__WOWL_DEBUG__.root.__owl__];
    while (stack.length) {
        const node = stack.pop();
        const dashboard = node.component?.state?.activeDashboard;
        if (dashboard?.model) {
            return dashboard.model;
        }
        stack.push(...Object.values(node.children || {}));
    }
    return null;
}

export async function evaluatedCell(model, col, row) {
    const sheetId = model.getters.getActiveSheetId();
    for (let attempt = 0; attempt < 100; attempt++) {
        const cell = model.getters.getEvaluatedCell({ sheetId, col, row });
        if (cell.value !== "Loading..." && cell.type !== "empty") {
            return cell;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`Dashboard cell ${col},${row} did not load`);
}
