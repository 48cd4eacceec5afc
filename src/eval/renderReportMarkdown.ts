import {formatMetric} from "./formatMetric.js";
import {metricNames, type EvalReport, type MetricDiff, type MetricSet} from "./reportTypes.js";

function rows(label: string, metrics: EvalReport["overall"]["metrics"], diff: MetricDiff | undefined, variants: EvalReport["variants"]): string[] {
    const out = variants.map((v) => {
        const m = metrics[v] as MetricSet;
        return `| ${label} | ${v} | ${metricNames.map((k) => formatMetric(m[k])).join(" | ")} | ${m.turns} | ${m.failures} |`;
    });
    if (diff) out.push(`| ${label} | adapter - base | ${metricNames.map((k) => formatMetric(diff[k], true)).join(" | ")} | | |`);
    return out;
}

/** eval/report.md: the same numbers as report.json, as tables people read in a terminal or a pull request. */
export function renderReportMarkdown(report: EvalReport): string {
    const lines = [
        `# Evaluation of ${report.run}`, "",
        `WikiRoleEval-style: ${report.sessions} held-out sessions; judge: ${report.models.judge ?? "?"}; ` +
        `model: ${report.models.base ?? "?"}${report.models.adapter ? ` + adapter ${report.models.adapter}` : ""}. Created ${report.created}.`, "",
        "Consistency: fraction of turns where the judge names the true character among four. Knowledge: 1 to 10. " +
        "Rejection: accuracy of refusing partner questions and answering own ones. All turn-weighted.", "",
        "| Language | Model | Consistency | Knowledge | Rejection | Turns | Judge failures |",
        "|---|---|---|---|---|---|---|",
        ...report.languages.flatMap((l) => rows(l.lang, l.metrics, l.diff, report.variants)),
        ...rows("**all**", report.overall.metrics, report.overall.diff, report.variants),
        "",
        `Judgements: ${report.judgements.total}, failures (no valid output within the retries): ${report.judgements.failures}` +
        ` (consistency ${report.judgements.failuresByKind.consistency}, knowledge ${report.judgements.failuresByKind.knowledge}, rejection ${report.judgements.failuresByKind.rejection}).`,
        "", "## Per character", "",
        `| Character | Language | Turns | ${report.variants.flatMap((v) => metricNames.map((k) => `${k} (${v})`)).join(" | ")} |`,
        `|---|---|---|${report.variants.flatMap(() => metricNames.map(() => "---")).join("|")}|`,
        ...report.characters.map((c) => `| ${c.label.replace(/\|/g, "\\|")} | ${c.lang} | ${c.turns} | ${report.variants.flatMap((v) => metricNames.map((k) => formatMetric(c.metrics[v]?.[k]))).join(" | ")} |`)
    ];
    if (report.loss && report.loss.length > 0) {
        const last = report.loss[report.loss.length - 1]!;
        lines.push("", "## Training", "", `${report.loss.length} logged steps; last step ${last.step}: loss ${last.loss.toFixed(4)}${last.eval_loss !== undefined ? `, eval loss ${last.eval_loss.toFixed(4)}` : ""}.`);
    }
    return lines.join("\n") + "\n";
}
