// npm run bench:plan [-- --model fixture:qwen2-bench-7b-q8_0 --model fixture:qwen2-bench-7b-q4_k] [--seq 512] [--batch 1]
//                    [--rank 16] [--steps 1] [--activation-mb MB] [--json FILE]
//
// Does the memory plan hold at the size users run? For each --model (default: the Qwen2.5-7B-shaped
// fixtures in Q8_0 and Q4_K, made on first use: ~8 GB and ~4.5 GB of random weights), trains --steps
// optimizer steps the way `ditto train` does (LoRA rank --rank on all seven projections, --batch
// sequences of --seq tokens, the default activation budget unless --activation-mb) in a child process
// of its own, and prints the plan finetune printed before the first step beside the child's measured
// peak RSS (VmHWM), their ratio (the target: within 15%) and the seconds of each step.
import {spawnSync} from "node:child_process";
import {mkdtempSync, rmSync, statSync, writeFileSync} from "node:fs";
import {loadavg, tmpdir} from "node:os";
import {join} from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import {resolveModelRef} from "../src/models/resolveModelRef.js";
import {readGgufHeader} from "../src/gguf/readGgufHeader.js";
import {modelShapeOf} from "../src/engine/modelShapeOf.js";
import {Rng} from "../src/random/Rng.js";

const {values: args} = parseArgs({options: {
    model: {type: "string", multiple: true, default: ["fixture:qwen2-bench-7b-q8_0", "fixture:qwen2-bench-7b-q4_k"]},
    seq: {type: "string", default: "512"},
    batch: {type: "string", default: "1"},
    rank: {type: "string", default: "16"},
    steps: {type: "string", default: "1"},
    "activation-mb": {type: "string", default: ""},
    json: {type: "string"}
}});
const seqLen = Number(args.seq), batch = Number(args.batch), steps = Number(args.steps);
const gb = (bytes: number) => (bytes / 1e9).toFixed(2);

/** Role-play sessions longer than a sequence (truncated to it), so every row is --seq tokens, most of them targets. */
function writeDataset(path: string): void {
    const rng = new Rng("bench-plan");
    const words = "the sea wind harbour ship captain storm night lantern rope sail north island map gold tide crew story old quiet".split(" ");
    const sentence = () => Array.from({length: 8 + Math.floor(rng.next() * 8)}, () => words[Math.floor(rng.next() * words.length)]).join(" ") + ".";
    const lines: string[] = [];
    for (let i = 0; i < batch * steps + 2; i++) {
        const reply = Array.from({length: Math.ceil(seqLen / 10)}, sentence).join(" ");
        lines.push(JSON.stringify({messages: [
            {role: "system", content: `You are Captain ${i}, an old sailor.`},
            {role: "user", content: "Tell me about your voyages."},
            {role: "assistant", content: reply}
        ]}));
    }
    writeFileSync(path, lines.join("\n") + "\n");
}

type Row = {model: string, fileBytes: number, parameters: number, plan: string, planPeakBytes: number, terms: Record<string, number>,
    measuredPeakBytes: number, ratio: number, stepSeconds: number[], load: number};
const rows: Row[] = [];
for (const ref of args.model!) {
    const t0 = Date.now();
    const modelPath = resolveModelRef(ref);
    if (Date.now() - t0 > 5000) console.log(`made ${modelPath} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const shape = modelShapeOf(readGgufHeader(modelPath));
    const dir = mkdtempSync(join(tmpdir(), "ditto-bench-plan-"));
    try {
        writeDataset(join(dir, "dataset.jsonl"));
        const child = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", fileURLToPath(new URL("./planChild.ts", import.meta.url)),
            modelPath, join(dir, "dataset.jsonl"), join(dir, "out"), String(steps), String(batch), String(seqLen), args.rank!, args["activation-mb"]!],
        {encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26});
        if (child.status !== 0) throw new Error(`${ref}: the training child exited with ${child.status ?? child.signal}`);
        const out = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {lines: string[], stepSeconds: number[], peakRssBytes: number};
        const plan = out.lines.find((l) => l.startsWith("plan: "));
        const m = plan && /weights ([\d.]+) GB, LoRA state ([\d.]+) GB, activations ([\d.]+) GB .*peak ([\d.]+) GB/.exec(plan);
        if (!plan || !m) throw new Error(`${ref}: no plan line in\n${out.lines.join("\n")}`);
        const [weights, lora, activations, peak] = m.slice(1, 5).map((v) => Number(v) * 1e9) as [number, number, number, number];
        rows.push({model: ref, fileBytes: statSync(modelPath).size, parameters: shape.parameters, plan, planPeakBytes: peak,
            terms: {weights, lora, activations, baseline: peak - weights - lora - activations},
            measuredPeakBytes: out.peakRssBytes, ratio: out.peakRssBytes / peak, stepSeconds: out.stepSeconds, load: loadavg()[0]!});
    } finally {
        rmSync(dir, {recursive: true, force: true});
    }
}
console.log(`\n${batch} x ${seqLen} tokens, LoRA rank ${args.rank} on all seven projections, ${steps} step(s), ${args["activation-mb"] || "default"} activation MB\n`);
console.log("| model | file | plan: baseline + weights + LoRA + activations | plan peak | measured peak (VmHWM) | measured / plan | s per step | load |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows)
    console.log(`| ${r.model} (${(r.parameters / 1e9).toFixed(2)}B) | ${gb(r.fileBytes)} GB | ${gb(r.terms.baseline!)} + ${gb(r.terms.weights!)} + ${gb(r.terms.lora!)} + ${gb(r.terms.activations!)} GB ` +
        `| ${gb(r.planPeakBytes)} GB | ${gb(r.measuredPeakBytes)} GB | ${r.ratio.toFixed(3)} (${((r.ratio - 1) * 100).toFixed(1)}%) | ${r.stepSeconds.map((s) => s.toFixed(0)).join(", ")} | ${r.load.toFixed(1)} |`);
for (const r of rows) console.log(`${r.model}: ${r.plan}`);
if (args.json) writeFileSync(args.json, JSON.stringify(rows, null, 2) + "\n");
