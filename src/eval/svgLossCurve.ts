import type {LossPoint} from "./reportTypes.js";

/** Training loss per step as a line, eval loss (logged less often) as a second line with dots. */
export function svgLossCurve(points: LossPoint[]): string {
    const w = 600, h = 260, l = 54, r = 16, t = 16, b = 36;
    const steps = points.map((p) => p.step);
    const values = points.flatMap((p) => p.eval_loss !== undefined ? [p.loss, p.eval_loss] : [p.loss]).filter(Number.isFinite);
    const x0 = Math.min(...steps), x1 = Math.max(...steps, x0 + 1);
    let y0 = Math.min(...values), y1 = Math.max(...values);
    if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
    const sx = (v: number) => l + (v - x0) / (x1 - x0) * (w - l - r);
    const sy = (v: number) => h - b - (v - y0) / (y1 - y0) * (h - t - b);
    const line = (ps: {x: number, y: number}[]) => ps.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(" ");
    const train = points.filter((p) => Number.isFinite(p.loss)).map((p) => ({x: p.step, y: p.loss}));
    const evals = points.filter((p) => p.eval_loss !== undefined && Number.isFinite(p.eval_loss)).map((p) => ({x: p.step, y: p.eval_loss!}));
    return `<svg id="chart-loss" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="training loss">` +
        `<line x1="${l}" y1="${h - b}" x2="${w - r}" y2="${h - b}" stroke="#333"/><line x1="${l}" y1="${t}" x2="${l}" y2="${h - b}" stroke="#333"/>` +
        `<text x="${l - 4}" y="${sy(y1) + 4}" text-anchor="end" font-size="10">${y1.toFixed(3)}</text><text x="${l - 4}" y="${sy(y0)}" text-anchor="end" font-size="10">${y0.toFixed(3)}</text>` +
        `<text x="${l}" y="${h - b + 14}" font-size="10">${x0}</text><text x="${w - r}" y="${h - b + 14}" text-anchor="end" font-size="10">${x1}</text>` +
        `<polyline class="train-loss" points="${line(train)}" fill="none" stroke="#2f6fdb" stroke-width="1.5"/>` +
        (evals.length > 0 ? `<polyline class="eval-loss" points="${line(evals)}" fill="none" stroke="#d9822b" stroke-width="1.5"/>` +
            evals.map((p) => `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="#d9822b"/>`).join("") : "") +
        `<text x="${(l + w - r) / 2}" y="${h - 6}" text-anchor="middle" font-size="12">step</text>` +
        `<text x="${w - r}" y="${t + 10}" text-anchor="end" font-size="11" fill="#2f6fdb">train loss</text>` +
        (evals.length > 0 ? `<text x="${w - r}" y="${t + 24}" text-anchor="end" font-size="11" fill="#d9822b">eval loss</text>` : "") + "</svg>";
}
