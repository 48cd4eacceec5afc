// Trains one step with the real engine and prints the memory plan finetune logged and the
// process's measured peak RSS (VmHWM), as JSON. argv: model, dataset, out dir, batch, seq len, activation MB
import {readFileSync} from "node:fs";
import {finetune} from "../../src/train/finetune.js";

const [modelPath, dataPath, outDir, batch, seqLen, activationMb] = process.argv.slice(2) as [string, string, string, string, string, string];
const lines: string[] = [];
await finetune({
    modelPath, dataPath, outDir, maxSteps: 1, batchSize: Number(batch), gradAccum: 1, seqLen: Number(seqLen),
    activationMemoryMb: Number(activationMb), evalFraction: 0, saveEvery: 0, progress: "none", rank: 8, threads: 2
}, {log: (l) => lines.push(l)});
const hwmKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))![1]);
process.stdout.write(JSON.stringify({lines, peakRssBytes: hwmKb * 1024}) + "\n");
