import {existsSync, readFileSync, renameSync, writeFileSync} from "node:fs";
import {basename, resolve} from "node:path";
import {JsonlStore} from "../runs/JsonlStore.js";
import {answerSchema, type Answer} from "./answerSchema.js";
import {computeReport} from "./computeReport.js";
import {evalPaths} from "./evalPaths.js";
import {readEvalIdentity} from "./evalIdentity.js";
import {judgementSchema, type Judgement} from "./judgementSchema.js";
import {readEvalSet} from "./readEvalSet.js";
import {readLoss} from "./readLoss.js";
import {renderReportHtml} from "./renderReportHtml.js";
import {renderReportMarkdown} from "./renderReportMarkdown.js";
import type {EvalReport} from "./reportTypes.js";
import {DittoError} from "../errors/DittoError.js";
import {outputDirs} from "../runs/outputDirs.js";

function writeAtomic(path: string, text: string) {
    writeFileSync(path + ".tmp", text);
    renameSync(path + ".tmp", path);
}

/**
 * report.json, report.md and report.html from the run's eval files (finished or still partial:
 * a report of an interrupted evaluation shows what is judged so far).
 */
export function writeEvalReport(runDir: string, models: Partial<EvalReport["models"]> = {}): {report: EvalReport, files: string[]} {
    const p = evalPaths(runDir);
    const sessions = readEvalSet(p.evalSet);
    if (!existsSync(p.answers) && !existsSync(p.answers + ".partial"))
        throw new DittoError(`${p.answers} not found`, {hint: "answer and judge first: `ditto eval run --run R`", code: "EVAL_NO_ANSWERS"});
    // only the variants of the latest run: an earlier adapter's answers may still be in the file
    const variants = readEvalIdentity(p.identity)?.variants;
    const answers = JsonlStore.open<Answer>(p.answers, {parse: (v) => answerSchema.parse(v)}).values()
        .filter((a) => !variants || variants.includes(a.variant));
    const judgements = JsonlStore.open<Judgement>(p.judgements, {parse: (v) => judgementSchema.parse(v)}).values();
    // the models are recorded by the run stage, so `ditto eval report` alone still names them
    const recorded = existsSync(p.models) ? JSON.parse(readFileSync(p.models, "utf8")) as EvalReport["models"] : {};
    const report = computeReport({run: basename(resolve(runDir)), sessions, answers, judgements, models: {...recorded, ...models}, loss: readLoss(p.loss)});
    outputDirs.make(p.dir);
    writeAtomic(p.reportJson, JSON.stringify(report, null, 2) + "\n");
    writeAtomic(p.reportMd, renderReportMarkdown(report));
    writeAtomic(p.reportHtml, renderReportHtml(report));
    return {report, files: [p.reportJson, p.reportMd, p.reportHtml]};
}
