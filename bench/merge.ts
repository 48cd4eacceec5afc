// npm run bench:merge [-- --model fixture:qwen2-bench-0.5b-q8_0] [--rank 16] [--types f16,q8_0] [--no-decode] [--buffered]
//
// Time of `ditto adapter merge` (src/adapter/mergeAdapter.ts) for a rank --rank adapter on all
// seven projections of the model, for each output type of --types, against a plain copy of the
// model file measured in the same run (the I/O floor any merge pays), with and without the fsync
// the merge does. For a q8_0 output, how much of the adapter's change survives the rounding
// (<dW_q8, dW> / <dW, dW> over one adapted matrix, dW the F32 merge's change). Then the decoding of the adapted base
// matrices alone, native (decodeForMerge, what the merge uses) against the TypeScript decoders
// (readTensorValues, what it used before), in CPU seconds of this process, so a loaded machine
// does not blur the ratio.
import {closeSync, copyFileSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync} from "node:fs";
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
import {readTensorBytes} from "../src/adapter/readTensorBytes.js";
import {readTensorValues} from "../src/adapter/readTensorValues.js";
import {loadNativeAddon} from "../src/engine/loadNativeAddon.js";
import {ggmlTypeName} from "../src/gguf/ggufTypes.js";
import {quantizeQ8_0} from "../src/gguf/quantizeQ8_0.js";
import {fromHalf} from "../src/gguf/halfFloat.js";
import {loraTargetTensor} from "../src/engine/TrainEngine.js";

const {values: args} = parseArgs({options: {
    model: {type: "string", default: "fixture:qwen2-bench-0.5b-q8_0"},
    rank: {type: "string", default: "16"},
    types: {type: "string", default: "f16,q8_0"},
    "no-decode": {type: "boolean", default: false},
    buffered: {type: "boolean", default: false}
}});
const types = args.types!.split(",") as ("auto" | "f32" | "f16" | "q8_0")[];
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
// <dW_q8, dW> / <dW, dW> for one adapted matrix, dW = the exact merge minus the base: from the
// merged file, then for the adapter scaled down (quantizeQ8_0 of the exact merge, the same bytes),
// as a trained adapter's change is often much smaller relative to the weights than this random one
const keptTensor = "blk.0.ffn_down.weight";
function adapterKept(mergedPath: string): string[] {
    const pair = pairs.find((p) => p.layer === 0 && p.target === "down")!;
    const base = readTensorValues(readGgufHeader(modelPath), keptTensor);
    const kept = (scale: number, q8?: Float32Array) => {
        const exact = base.slice();
        loadNativeAddon().loraMerge(exact, pair.a, pair.b, pair.nOut, pair.nIn, rank, 2 * scale);
        const got = q8 ?? decodeQ8_0(quantizeQ8_0(exact));
        let dot = 0, norm = 0, w2 = 0;
        for (let i = 0; i < base.length; i++) { const d = exact[i]! - base[i]!; dot += (got[i]! - base[i]!) * d; norm += d * d; w2 += base[i]! * base[i]!; }
        return `adapter x${scale} (|dW| / |W| = ${Math.sqrt(norm / w2).toExponential(1)}): ${(100 * dot / norm).toFixed(1)}% kept`;
    };
    return [kept(1, readTensorValues(readGgufHeader(mergedPath), keptTensor)), ...[0.3, 0.1, 0.03].map((s) => kept(s))];
}
function decodeQ8_0(bytes: Uint8Array): Float32Array {
    const out = new Float32Array(bytes.length / 34 * 32), view = new DataView(bytes.buffer, bytes.byteOffset);
    for (let b = 0; b < out.length / 32; b++)
        for (let i = 0; i < 32; i++) out[b * 32 + i] = fromHalf(view.getUint16(b * 34, true)) * view.getInt8(b * 34 + 2 + i);
    return out;
}
const dir = mkdtempSync(join(tmpdir(), "ditto-bench-merge-"));
try {
    const adapter = join(dir, "adapter.gguf");
    writeAdapterGguf(pairs, {arch: s.arch, alpha: 2 * rank}, adapter);
    let t0 = performance.now();
    copyFileSync(modelPath, join(dir, "copy.gguf"));
    const copy = (performance.now() - t0) / 1000;
    const fd = openSync(join(dir, "copy.gguf"), "r+");
    fsyncSync(fd);
    closeSync(fd);
    const copySynced = (performance.now() - t0) / 1000;
    rmSync(join(dir, "copy.gguf"));
    console.log(`model ${modelPath} (${(s.parameters / 1e9).toFixed(2)}B parameters), adapter rank ${rank} on ${pairs.length} matrices`);
    console.log("| output | copy the model file | copy + fsync | merge | merge / copy + fsync | merged file |\n|---|---:|---:|---:|---:|---:|");
    for (const type of types) {
        const out = join(dir, `merged-${type}.gguf`);
        t0 = performance.now();
        const {direct} = await mergeAdapter({modelPath, adapterPath: adapter, out, type, direct: !args.buffered});
        const merge = (performance.now() - t0) / 1000;
        console.log(`| ${type}${direct ? " (O_DIRECT)" : ""} | ${copy.toFixed(1)} s | ${copySynced.toFixed(1)} s | ${merge.toFixed(1)} s | ${(merge / copySynced).toFixed(1)}x | ${(statSync(out).size / 1e9).toFixed(2)} GB |`);
        if (type === "q8_0") console.log(`q8_0, the adapter's change to ${keptTensor} that survives the rounding: ${adapterKept(out).join("; ")}`);
        rmSync(out);
    }
} finally {
    rmSync(dir, {recursive: true, force: true});
}

if (args["no-decode"]) process.exit(0);
// decoding alone, per base type of the adapted matrices: bytes read first, so only decoding is timed
const header = readGgufHeader(modelPath);
const adapted = new Set(pairs.map((p) => `blk.${p.layer}.${loraTargetTensor[p.target]}.weight`));
const byType = new Map<number, typeof header.tensors>();
for (const t of header.tensors) if (adapted.has(t.name)) byType.set(t.type, [...byType.get(t.type) ?? [], t]);
const cpu = (f: () => void) => { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
console.log("\n| base type | matrices | values | decode in TypeScript (CPU s) | decode native (CPU s) | ratio |\n|---|---:|---:|---:|---:|---:|");
for (const [type, tensors] of byType) {
    const n = tensors.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0);
    // readTensorValues reads the bytes itself: take its read time off with a plain read of the same tensors
    const read = cpu(() => { for (const t of tensors) readTensorBytes(modelPath, t); });
    const ts = cpu(() => { for (const t of tensors) readTensorValues(header, t.name); }) - read;
    const native = cpu(() => {
        for (const t of tensors) loadNativeAddon().decodeForMerge(readTensorBytes(modelPath, t), t.type, t.dims.reduce((x, y) => x * y, 1));
    }) - read;
    console.log(`| ${ggmlTypeName(type)} | ${tensors.length} | ${(n / 1e6).toFixed(0)}M | ${ts.toFixed(2)} | ${native.toFixed(2)} | ${(ts / native).toFixed(1)}x |`);
}
