import {escapeHtml} from "./escapeHtml.js";
import {formatMetric} from "./formatMetric.js";
import {metricNames, type EvalReport, type MetricDiff} from "./reportTypes.js";
import {svgLossCurve} from "./svgLossCurve.js";
import {svgMetricBars, variantColours} from "./svgMetricBars.js";
import {svgScatter, type ScatterPoint} from "./svgScatter.js";

const style = `body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1000px;color:#1d2430;padding:0 1rem}
table{border-collapse:collapse;margin:1rem 0;font-size:14px}th,td{border:1px solid #d5d9e0;padding:4px 8px;text-align:right}
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}th{background:#f3f5f8}.pos{color:#1a7f37}.neg{color:#c62828}
figure{margin:1.5rem 0}figcaption{font-size:13px;color:#555}.legend span{display:inline-block;margin-right:1rem;font-size:13px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}`;

function diffCell(d: MetricDiff | undefined, k: keyof MetricDiff): string {
    const v = d?.[k];
    if (v === undefined) return "";
    return `<td class="${v === null ? "" : v > 0 ? "pos" : v < 0 ? "neg" : ""}">${formatMetric(v, true)}</td>`;
}

/**
 * eval/report.html: one self-contained file (inline CSS and SVG, no script, nothing fetched), so it
 * opens offline and can be attached anywhere: summary tables, metric bars, per-character scatter,
 * and the training loss curve when the run has one.
 */
export function renderReportHtml(report: EvalReport): string {
    const both = report.variants.includes("base") && report.variants.includes("adapter");
    const summaryHead = `<tr><th>Language</th><th>Model</th>${metricNames.map((k) => `<th>${k}</th>`).join("")}<th>Turns</th><th>Judge failures</th></tr>`;
    const summaryRows = [...report.languages.map((l) => ({label: l.lang, metrics: l.metrics, diff: l.diff})),
        {label: "all", metrics: report.overall.metrics, diff: report.overall.diff}].flatMap((g) => [
        ...report.variants.map((v) => {
            const m = g.metrics[v]!;
            return `<tr><td>${escapeHtml(g.label)}</td><td>${v}</td>${metricNames.map((k) => `<td>${formatMetric(m[k])}</td>`).join("")}<td>${m.turns}</td><td>${m.failures}</td></tr>`;
        }),
        ...(g.diff ? [`<tr><td>${escapeHtml(g.label)}</td><td>adapter - base</td>${metricNames.map((k) => diffCell(g.diff, k)).join("")}<td></td><td></td></tr>`] : [])
    ]).join("\n");

    const points: ScatterPoint[] = report.characters.flatMap((c) => {
        if (both) {
            const b = c.metrics.base?.knowledge, a = c.metrics.adapter?.knowledge;
            return b != null && a != null ? [{label: c.label, x: b, y: a}] : [];
        }
        const m = c.metrics[report.variants[0]!];
        return m?.consistency != null && m.knowledge != null ? [{label: c.label, x: m.consistency, y: m.knowledge}] : [];
    });
    const scatter = both
        ? svgScatter(points, {x: "knowledge, base", y: "knowledge, adapter", xMin: 1, yMin: 1, xMax: 10, yMax: 10, diagonal: true})
        : svgScatter(points, {x: "consistency", y: "knowledge", xMax: 1, yMin: 1, yMax: 10});

    const charHead = `<tr><th>Character</th><th>Language</th><th>Turns</th>${report.variants.flatMap((v) => metricNames.map((k) => `<th>${k}<br>${v}</th>`)).join("")}</tr>`;
    const charRows = report.characters.map((c) => `<tr><td>${escapeHtml(c.label)}</td><td>${escapeHtml(c.lang)}</td><td>${c.turns}</td>${
        report.variants.flatMap((v) => metricNames.map((k) => `<td>${formatMetric(c.metrics[v]?.[k])}</td>`)).join("")}</tr>`).join("\n");
    const legend = `<div class="legend">${report.variants.map((v) => `<span><i style="background:${variantColours[v]}"></i>${v}</span>`).join("")}</div>`;
    const j = report.judgements;

    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Evaluation of ${escapeHtml(report.run)}</title><style>${style}</style></head>
<body>
<h1>Evaluation of ${escapeHtml(report.run)}</h1>
<p>WikiRoleEval-style evaluation on ${report.sessions} held-out characters. Model: ${escapeHtml(report.models.base ?? "?")}${
    report.models.adapter ? ` + adapter ${escapeHtml(report.models.adapter)}` : ""}; judge: ${escapeHtml(report.models.judge ?? "?")}. Created ${escapeHtml(report.created)}.</p>
<p>Consistency: fraction of turns where the judge names the true character among the candidates. Knowledge: 1 to 10. Rejection: accuracy of refusing partner questions and answering own ones. All weighted by turns. Scores compare runs of this toolkit with the same judge, not the paper's GPT-4 numbers.</p>
<table id="summary">${summaryHead}
${summaryRows}</table>
<p>Judgements: ${j.total}; failures (no valid output within the retries): ${j.failures} (consistency ${j.failuresByKind.consistency}, knowledge ${j.failuresByKind.knowledge}, rejection ${j.failuresByKind.rejection}).</p>
<figure>${svgMetricBars(report.overall.metrics, report.variants)}${legend}<figcaption>Overall scores per model.</figcaption></figure>
<figure>${scatter}<figcaption>${both ? "Knowledge per character, base (x) against adapter (y): points above the dashed line improved." : "Per character: consistency (x) against knowledge (y)."}</figcaption></figure>
${report.loss && report.loss.length > 0 ? `<h2>Training</h2><figure>${svgLossCurve(report.loss)}<figcaption>Training loss per step${report.loss.some((p) => p.eval_loss !== undefined) ? " and eval loss" : ""}.</figcaption></figure>` : ""}
<h2>Per character</h2>
<table id="characters">${charHead}
${charRows}</table>
</body></html>
`;
}
