// npm run bench:merge [-- --model fixture:qwen2-bench-0.5b-q8_0] [--rank 16]
//
// Time of `ditto adapter merge` (src/adapter/mergeAdapter.ts) for a rank --rank adapter on all
// seven projections of the model, against a plain copy of the model file measured in the same run
// (the I/O floor any merge pays). Prints both and the ratio.
import {copyFileSync, mkdtempSync, rmSync} from "node:fs";
import {join} from "node:path";
import {tmpdir} from "node:os";
import {performance} from "node:perf_hooks";
import {parseArgs} from "node:util";
import {mergeAdapter} from "../src/adapter/mergeAdapter.js";
import {writeAdapterGguf} from "../src/adapter/writeAdapterGguf.js";
import {readGgufHeader} from "../src/gguf/readGgufHeader.js";
import {modelShapeOf} from "../src/engine/modelShapeOf.js";
import {loraTargets, type LoraPair, type LoraTarget} from "../src/engine/TrainEngine.js";
import {resolveModelRef} from "../src/models/resolveModelRef.js";
import {Rng} from "../src/random/Rng.js";

const {values: args} = parseArgs({options: {
    model: {type: "string", default: "fixture:qwen2-bench-0.5b-q8_0"},
    rank: {type: "string", default: "16"}
}});
const modelPath = resolveModelRef(args.model!);
const rank = Number(args.rank);
const s = modelShapeOf(readGgufHeader(modelPath));
const q = s.nHead * s.headDim, kv = s.nHeadKv * s.headDim;
const dims: Record<LoraTarget, [number, number]> = {q: [s.nEmbd, q], k: [s.nEmbd, kv], v: [s.nEmbd, kv], o: [q, s.nEmbd],
    gate: [s.nEmbd, s.nFf], up: [s.nEmbd, s.nFf], down: [s.nFf, s.nEmbd]};
const rng = new Rng("bench-merge");
const fill = (n: number) => Float32Array.from({length: n}, () => (rng.next() * 2 - 1) * 0.01);
const pairs: LoraPair[] = [];
for (let layer = 0; layer < s.nLayer; layer++)
    for (const target of loraTargets) {
        const [nIn, nOut] = dims[target];
        pairs.push({layer, target, nIn, nOut, a: fill(rank * nIn), b: fill(nOut * rank)});
    }
const dir = mkdtempSync(join(tmpdir(), "ditto-bench-merge-"));
try {
    const adapter = join(dir, "adapter.gguf");
    writeAdapterGguf(pairs, {arch: s.arch, alpha: 2 * rank}, adapter);
    let t0 = performance.now();
    copyFileSync(modelPath, join(dir, "copy.gguf"));
    const copy = (performance.now() - t0) / 1000;
    rmSync(join(dir, "copy.gguf"));
    t0 = performance.now();
    const r = mergeAdapter({modelPath, adapterPath: adapter, out: join(dir, "merged.gguf")});
    const merge = (performance.now() - t0) / 1000;
    console.log(`model ${modelPath} (${(s.parameters / 1e9).toFixed(2)}B parameters), adapter rank ${rank} on ${r.merged} matrices`);
    console.log(`| copy the model file | merge | ratio |\n|---|---|---|\n| ${copy.toFixed(1)} s | ${merge.toFixed(1)} s | ${(merge / copy).toFixed(1)}x |`);
} finally {
    rmSync(dir, {recursive: true, force: true});
}
