import {escapeHtml} from "./escapeHtml.js";

export type ScatterPoint = {label: string, x: number, y: number};

/**
 * A scatter of one point per character (hover shows the name). With `diagonal`, the y = x line:
 * points above it are characters the adapter improved.
 */
export function svgScatter(points: ScatterPoint[], axes: {x: string, y: string, xMax: number, yMax: number, xMin?: number, yMin?: number, diagonal?: boolean}): string {
    const w = 420, h = 320, l = 50, r = 16, t = 16, b = 44;
    const xMin = axes.xMin ?? 0, yMin = axes.yMin ?? 0;
    const sx = (v: number) => l + (v - xMin) / (axes.xMax - xMin) * (w - l - r);
    const sy = (v: number) => h - b - (v - yMin) / (axes.yMax - yMin) * (h - t - b);
    const ticks = (min: number, max: number) => [0, 0.5, 1].map((f) => min + f * (max - min));
    const grid = ticks(xMin, axes.xMax).map((v) => `<line x1="${sx(v)}" y1="${t}" x2="${sx(v)}" y2="${h - b}" stroke="#e3e6ea"/><text x="${sx(v)}" y="${h - b + 14}" text-anchor="middle" font-size="10">${v}</text>`).join("") +
        ticks(yMin, axes.yMax).map((v) => `<line x1="${l}" y1="${sy(v)}" x2="${w - r}" y2="${sy(v)}" stroke="#e3e6ea"/><text x="${l - 4}" y="${sy(v) + 3}" text-anchor="end" font-size="10">${v}</text>`).join("");
    const diagonal = axes.diagonal ? `<line x1="${sx(Math.max(xMin, yMin))}" y1="${sy(Math.max(xMin, yMin))}" x2="${sx(Math.min(axes.xMax, axes.yMax))}" y2="${sy(Math.min(axes.xMax, axes.yMax))}" stroke="#999" stroke-dasharray="4 3"/>` : "";
    const dots = points.map((p) => `<circle class="point" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="5" fill="#2f6fdb" fill-opacity="0.7"><title>${escapeHtml(p.label)}: ${p.x.toFixed(2)}, ${p.y.toFixed(2)}</title></circle>`).join("");
    return `<svg id="chart-characters" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="per-character scatter">` +
        grid + diagonal + `<line x1="${l}" y1="${h - b}" x2="${w - r}" y2="${h - b}" stroke="#333"/><line x1="${l}" y1="${t}" x2="${l}" y2="${h - b}" stroke="#333"/>` + dots +
        `<text x="${(l + w - r) / 2}" y="${h - 8}" text-anchor="middle" font-size="12">${escapeHtml(axes.x)}</text>` +
        `<text transform="translate(14 ${(t + h - b) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeHtml(axes.y)}</text></svg>`;
}
