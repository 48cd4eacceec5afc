import {existsSync, readdirSync, readFileSync} from "node:fs";
import {join} from "node:path";
import {DittoError} from "../errors/DittoError.js";
import {readManifest} from "../runs/readManifest.js";
import {stageFiles, stageNames} from "../runs/stageNames.js";
import type {TrainStage} from "./trainStages.js";

export type StageState = {stage: TrainStage, status: "done" | "partial" | "pending", detail: string};

/** Where a run folder stands, stage by stage, read from its files (nothing is changed). */
export function runStatus(runDir: string): {runDir: string, recipe?: string, stages: StageState[]} {
    if (!existsSync(runDir)) throw new DittoError(`run folder ${runDir} not found`, {hint: "pass the folder given to `ditto train --run` (default runs/<recipe>)", code: "RUN_MISSING"});
    const manifest = readManifest(runDir);
    const stages: StageState[] = [];
    const lines = (p: string) => existsSync(p) ? readFileSync(p, "utf8").split("\n").filter((l) => l.trim() !== "").length : 0;
    for (const s of stageNames) {
        const m = manifest?.stages[s];
        const file = join(runDir, stageFiles[s]);
        if (existsSync(file) && m?.status === "done") {
            const parts = [`${m.count ?? lines(file)} records`];
            if (m.rejected) parts.push(`${m.rejected} rejected`);
            if (m.drops && Object.keys(m.drops).length) parts.push("drops " + Object.entries(m.drops).map(([k, v]) => `${k} ${v}`).join(", "));
            if (m.seconds !== undefined) parts.push(`${m.seconds.toFixed(1)} s`);
            if (m.tokens) parts.push(`${m.tokens} tokens`);
            stages.push({stage: s, status: "done", detail: parts.join(", ")});
        } else if (existsSync(file + ".partial")) {
            stages.push({stage: s, status: "partial", detail: `${lines(file + ".partial")} records so far; rerun to resume`});
        } else stages.push({stage: s, status: "pending", detail: ""});
    }
    const train = join(runDir, "train");
    if (existsSync(join(train, "train.json")) && existsSync(join(train, "adapter.gguf"))) {
        const t = JSON.parse(readFileSync(join(train, "train.json"), "utf8")) as {steps?: number, finalLoss?: number, finalEvalLoss?: number | null};
        stages.push({stage: "finetune", status: "done", detail: `${t.steps} steps, loss ${t.finalLoss?.toFixed(4)}` +
            (t.finalEvalLoss != null ? `, held-out ${t.finalEvalLoss.toFixed(4)}` : "") + `, adapter ${join(train, "adapter.gguf")}`});
    } else if (existsSync(join(train, "loss.jsonl"))) {
        const ckpts = existsSync(join(train, "checkpoints")) ? readdirSync(join(train, "checkpoints")).filter((d) => /^step-\d+$/.test(d)) : [];
        stages.push({stage: "finetune", status: "partial", detail: `${lines(join(train, "loss.jsonl"))} steps logged, ${ckpts.length} checkpoint(s); rerun to resume`});
    } else stages.push({stage: "finetune", status: "pending", detail: ""});
    const ev = join(runDir, "eval");
    if (existsSync(join(ev, "report.json")))
        stages.push({stage: "eval", status: "done", detail: `report ${join(ev, "report.html")}`});
    else if (existsSync(ev))
        stages.push({stage: "eval", status: "partial", detail: `${lines(join(ev, "answers.jsonl")) + lines(join(ev, "answers.jsonl.partial"))} answers, ` +
            `${lines(join(ev, "judgements.jsonl")) + lines(join(ev, "judgements.jsonl.partial"))} judgements so far; rerun to resume`});
    else stages.push({stage: "eval", status: "pending", detail: ""});
    return {runDir, recipe: manifest ? String((manifest.recipe as {name?: string}).name ?? "") : undefined, stages};
}
