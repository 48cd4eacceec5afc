// Child of bench/plan.ts: trains --steps optimizer steps with finetune (the CLI's path: the plan is
// made and printed before the engine opens) and prints, as one JSON line on stdout, the lines
// finetune logged, each step's seconds and the process's peak RSS (VmHWM) at the end.
// argv: model, dataset, out dir, steps, batch, seq len, rank, activation MB ("" for the default)
import {readFileSync} from "node:fs";
import {finetune} from "../src/train/finetune.js";

const [modelPath, dataPath, outDir, steps, batch, seqLen, rank, activationMb] = process.argv.slice(2) as string[] as
    [string, string, string, string, string, string, string, string];
const lines: string[] = [];
const stepSeconds: number[] = [];
let last = 0;
await finetune({
    modelPath, dataPath, outDir, maxSteps: Number(steps), batchSize: Number(batch), gradAccum: 1, seqLen: Number(seqLen), rank: Number(rank),
    ...(activationMb ? {activationMemoryMb: Number(activationMb)} : {}), evalFraction: 0, saveEvery: 0, progress: "none", device: "cpu"
}, {
    log: (l) => {
        lines.push(l);
        process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${l}\n`);
    },
    onStep: (r) => {
        stepSeconds.push(r.elapsed - last);
        last = r.elapsed;
        process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] step ${r.step}: loss ${r.loss.toFixed(4)}, ${(r.elapsed).toFixed(1)} s\n`);
    }
});
const hwmKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))![1]);
process.stdout.write(JSON.stringify({lines, stepSeconds, peakRssBytes: hwmKb * 1024}) + "\n");
