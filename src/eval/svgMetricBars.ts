import type {EvalVariant} from "./answerSchema.js";
import {escapeHtml} from "./escapeHtml.js";
import {formatMetric} from "./formatMetric.js";
import {metricNames, type MetricSet} from "./reportTypes.js";

export const variantColours: Record<EvalVariant, string> = {base: "#8c96a6", adapter: "#2f6fdb"};

/**
 * Three small panels, one per metric, each on its own scale (consistency and rejection 0 to 1,
 * knowledge 1 to 10), with one bar per model variant and its value printed on it.
 */
export function svgMetricBars(metrics: Partial<Record<EvalVariant, MetricSet>>, variants: EvalVariant[]): string {
    const panelW = 200, h = 220, top = 28, bottom = 40, plotH = h - top - bottom;
    const barW = Math.min(56, (panelW - 40) / Math.max(1, variants.length) - 8);
    const panels = metricNames.map((name, p) => {
        const max = name === "knowledge" ? 10 : 1;
        const x0 = p * panelW + 30;
        const bars = variants.map((v, i) => {
            const value = metrics[v]?.[name] ?? null;
            const bh = value === null ? 0 : Math.max(0, Math.min(1, value / max)) * plotH;
            const x = x0 + 10 + i * (barW + 8);
            return `<rect class="bar" data-variant="${v}" data-metric="${name}" x="${x}" y="${top + plotH - bh}" width="${barW}" height="${bh}" fill="${variantColours[v]}"><title>${v}: ${formatMetric(value)}</title></rect>` +
                `<text x="${x + barW / 2}" y="${top + plotH - bh - 4}" text-anchor="middle" font-size="11">${formatMetric(value)}</text>` +
                `<text x="${x + barW / 2}" y="${top + plotH + 14}" text-anchor="middle" font-size="11">${v}</text>`;
        }).join("");
        return `<g class="panel"><text x="${x0 + 10}" y="16" font-size="13" font-weight="600">${escapeHtml(name)} (${name === "knowledge" ? "1-10" : "0-1"})</text>` +
            `<line x1="${x0}" y1="${top + plotH}" x2="${x0 + panelW - 40}" y2="${top + plotH}" stroke="#333"/>` +
            `<line x1="${x0}" y1="${top}" x2="${x0}" y2="${top + plotH}" stroke="#333"/>` +
            `<text x="${x0 - 4}" y="${top + 4}" text-anchor="end" font-size="10">${max}</text><text x="${x0 - 4}" y="${top + plotH}" text-anchor="end" font-size="10">0</text>` +
            bars + "</g>";
    }).join("");
    return `<svg id="chart-metrics" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${panelW * 3} ${h}" width="${panelW * 3}" height="${h}" role="img" aria-label="metrics per model">${panels}</svg>`;
}
