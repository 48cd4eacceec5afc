// npm run bench:quantize [-- --values 4194304] [--types Q8_0,Q4_K]
//
// Encoding speed of the native quantizer (the addon's quantizeTensor, what encodeTensor uses)
// against the TypeScript quantizers (encodeTensorTs, the reference it matches byte for byte), per
// type, on --values uniform values, in CPU seconds of this process so a loaded machine does not
// blur the ratio (fresh output buffers included: their first touch is part of the cost). Also the
// fixture generator's random values, Rng in TypeScript against the addon's fillUniform; all
// projected onto a 7B fixture (fixture:qwen2-bench-7b-*, 7.6e9 values).
import {cpuUsage} from "node:process";
import {parseArgs} from "node:util";
import {loadNativeAddon} from "../src/engine/loadNativeAddon.js";
import {encodeTensorTs} from "../src/gguf/encodeTensorTs.js";
import {GgmlType, type GgmlTypeName} from "../src/gguf/ggufTypes.js";
import {Rng, hashString} from "../src/random/Rng.js";
import {fixtureShape} from "../src/fixtures/fixtureSpecs.js";
import {loadQwenTokenizer} from "../src/fixtures/qwenTokenizer.js";

const {values: args} = parseArgs({options: {
    values: {type: "string", default: String(1 << 22)},
    types: {type: "string", default: "F16,BF16,Q8_0,Q4_0,Q4_1,Q5_0,Q5_1,Q4_K,Q5_K,Q6_K"}
}});
const n = Number(args.values);
const native = loadNativeAddon();

/** CPU seconds (user + system) that f takes in this process */
function cpuSeconds(f: () => void): number {
    const start = cpuUsage();
    f();
    const used = cpuUsage(start);
    return (used.user + used.system) / 1e6;
}

// the 7B fixture's value count: every matrix, embedding and output head (vectors are negligible)
const s = fixtureShape("bench-7b", "qwen2"), nVocab = loadQwenTokenizer().tokens.length;
const q = s.nHead * s.headDim, kv = s.nHeadKv * s.headDim;
const values7b = 2 * s.nEmbd * nVocab + s.nLayer * (s.nEmbd * (2 * q + 2 * kv) + 3 * s.nEmbd * s.nFf);

// both value buffers touched first: the generators are timed, not the page faults of fresh memory
const x = new Float32Array(n).fill(1), y = new Float32Array(n).fill(1);
const rng = new Rng("bench-quantize");
const a = Math.sqrt(3 / s.nEmbd);
const rngSeconds = cpuSeconds(() => { for (let i = 0; i < n; i++) x[i] = (rng.next() * 2 - 1) * a; });
const fillSeconds = cpuSeconds(() => native.fillUniform(y, hashString("bench-quantize"), a, 1, 0));
if (!Buffer.from(x.buffer).equals(Buffer.from(y.buffer))) throw new Error("fillUniform's values differ from Rng's");

const rows: string[][] = [["type", "TypeScript ns/value", "native ns/value", "ratio", "7B TypeScript min", "7B native min"]];
const perValue = (seconds: number) => seconds / n * 1e9;
const minutes7b = (seconds: number) => (seconds / n * values7b / 60).toFixed(1);
for (const name of args.types!.split(",") as GgmlTypeName[]) {
    const type = GgmlType[name];
    let ts: Uint8Array = new Uint8Array(), nat: Uint8Array = new Uint8Array();
    const tsSeconds = cpuSeconds(() => { ts = encodeTensorTs(x, type); });
    const nativeSeconds = cpuSeconds(() => { nat = native.quantizeTensor(x, type); });
    if (!Buffer.from(ts).equals(Buffer.from(nat))) throw new Error(`${name}: native bytes differ from TypeScript's`);
    rows.push([name, perValue(tsSeconds).toFixed(2), perValue(nativeSeconds).toFixed(2), (tsSeconds / nativeSeconds).toFixed(0) + "x",
        minutes7b(tsSeconds), minutes7b(nativeSeconds)]);
}
rows.push(["random values", perValue(rngSeconds).toFixed(2), perValue(fillSeconds).toFixed(2), (rngSeconds / fillSeconds).toFixed(0) + "x",
    minutes7b(rngSeconds), minutes7b(fillSeconds)]);
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log(`${n} values; 7B fixture: ${(values7b / 1e9).toFixed(2)}e9 values`);
for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c]!)).join("  "));
