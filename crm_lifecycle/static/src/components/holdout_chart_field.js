import { loadBundle } from "@web/core/assets";
import { getColor } from "@web/core/colors/colors";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { Component, onWillStart, useEffect, useRef } from "@odoo/owl";

/**
 * The calibration / holdout chart of a value model: mean purchases per
 * customer in the holdout period, actual against predicted, by number of
 * purchases in the calibration period. Reads a JSON field holding
 * {labels, actual, predicted, actual_label, predicted_label, x_label, y_label}.
 */
export class HoldoutChartField extends Component {
    static template = "crm_lifecycle.HoldoutChartField";
    static props = { ...standardFieldProps };

    setup() {
        this.chart = null;
        this.canvasRef = useRef("canvas");
        onWillStart(async () => await loadBundle("web.chartjs_lib"));
        useEffect(
            () => {
                this.renderChart();
                return () => this.chart?.destroy();
            },
            () => [this.props.record.data[this.props.name]]
        );
    }

    get data() {
        return this.props.record.data[this.props.name];
    }

    renderChart() {
        this.chart?.destroy();
        this.chart = null;
        const data = this.data;
        if (!data || !this.canvasRef.el) {
            return;
        }
        const actualColor = getColor(1, "light", "odoo");
        const predictedColor = getColor(3, "light", "odoo");
        this.chart = new Chart(this.canvasRef.el, {
            type: "line",
            data: {
                labels: data.labels,
                datasets: [
                    {
                        label: data.actual_label,
                        data: data.actual,
                        borderColor: actualColor,
                        backgroundColor: actualColor,
                        borderWidth: 2,
                    },
                    {
                        label: data.predicted_label,
                        data: data.predicted,
                        borderColor: predictedColor,
                        backgroundColor: predictedColor,
                        borderDash: [6, 4],
                        borderWidth: 2,
                    },
                ],
            },
            options: {
                maintainAspectRatio: false,
                animation: false,
                scales: {
                    x: { title: { display: true, text: data.x_label } },
                    y: { beginAtZero: true, title: { display: true, text: data.y_label } },
                },
            },
        });
    }
}

registry.category("fields").add("crm_lifecycle_holdout_chart", {
    component: HoldoutChartField,
    supportedTypes: ["json"],
});
