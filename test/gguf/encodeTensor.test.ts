// The native quantizer (native/src/Quantize.cpp) against the TypeScript one it stands in for
// (encodeTensorTs), byte for byte, for every type: seeded random blocks at several magnitudes and
// blocks built to reach each branch of the TypeScript code (zero scales, dmin -0 from a block
// without negatives, ties that Math.round rounds up, clamped 6-bit scales, f16 overflow and
// subnormal scales). A single differing byte fails, with its block named.
import {test} from "node:test";
import assert from "node:assert/strict";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";
import {encodeTensor} from "../../src/gguf/encodeTensor.js";
import {encodeTensorTs} from "../../src/gguf/encodeTensorTs.js";
import {GgmlType, ggmlBlockLayout} from "../../src/gguf/ggufTypes.js";
import {Rng} from "../../src/random/Rng.js";

const types = ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"] as const;

/** 256-value blocks (a whole super-block, eight 32-value blocks), each named for the failure message. */
function edgeBlocks(): {name: string, values: Float32Array}[] {
    const rng = new Rng(11);
    const blocks: {name: string, values: Float32Array}[] = [];
    const add = (name: string, f: (i: number) => number) => blocks.push({name, values: Float32Array.from({length: 256}, (_, i) => f(i))});
    for (const scale of [1e-3, 0.05, 1, 300, 1e5])
        for (let r = 0; r < 4; r++) add(`uniform ±${scale} #${r}`, () => (rng.next() * 2 - 1) * scale);
    add("all zero", () => 0);
    add("all -0", () => -0);
    add("zeros of both signs", (i) => (i % 3 ? 0 : -0));
    add("constant 0.37", () => 0.37);
    add("constant -0.37", () => -0.37);
    add("constant 1e-9 (f16 scale underflows)", () => 1e-9);
    add("positive only (Q4_K dmin -0)", () => rng.next() * 0.5 + 0.01);
    add("negative only", () => -(rng.next() * 0.5 + 0.01));
    add("positive and one -0 per sub-block", (i) => (i % 32 === 5 ? -0 : rng.next() + 0.1));
    add("one huge outlier", (i) => (i === 77 ? 1e4 : (rng.next() * 2 - 1) * 0.01));
    add("one huge negative outlier", (i) => (i === 200 ? -3e5 : (rng.next() * 2 - 1) * 0.01));
    add("near float max (f16 scales overflow)", (i) => (i % 2 ? 3e38 : -3e38) * rng.next());
    add("above half max", (i) => 70000 + i);
    add("float32 subnormals", (i) => (i - 128) * 1e-42);
    add("f16-subnormal scales", (i) => (rng.next() * 2 - 1) * 1e-5);
    add("integers -128..127 (Q8_0 scale 1)", (i) => i - 128);
    add("halves (ties of Math.round)", (i) => (i % 32 === 0 ? 127 : (i % 2 ? -1 : 1) * ((i % 16) + 0.5)));
    add("halves, quarter steps", (i) => ((i % 64) - 32) * 0.25 + (i % 32 === 0 ? 0.125 : 0));
    add("sub-block spreads 2^-j (6-bit scales round and clamp)", (i) => (rng.next() * 2 - 1) * 2 ** -(i >> 5));
    add("sub-block offsets (mins round and clamp)", (i) => rng.next() * 0.01 + ((i >> 5) - 4) * 0.3);
    add("16-value spreads 4^-k (Q6_K scales)", (i) => (rng.next() * 2 - 1) * 4 ** -(i >> 4));
    add("one value per sub-block, rest zero", (i) => (i % 32 === 7 ? (i >> 5) - 3.5 : 0));
    // exact ties of Math.round in the K-quants' 6-bit scale and min ratios (scale / d = c + 0.5 with
    // c even, where round-half-even would differ) and in their values' q = (x + m) / k; h = 2^-7
    // keeps every value, scale and ratio exact in float32 and f16
    const h = 2 ** -7;
    for (const [name, div] of [["Q4_K", 15], ["Q5_K", 31]] as const) {
        add(`${name} scale and value ties`, (i) => {
            const j = i >> 5, l = i & 31;
            if (j === 0) return l === 0 ? 0 : l === 31 ? div * 63 * h : 63 * h * ((l % div) + 0.5);  // d = h, sc 63
            const c = 2 * (j - 1) + 0.5;  // scale / d = 0.5, 2.5, ..., 12.5: sc = c + 0.5 (Math.round)
            return l === 0 ? 0 : l === 1 ? div * h * c : h * (c + 0.5) * ((l % 4) + 0.5);
        });
        add(`${name} min ties`, (i) => {
            const j = i >> 5, l = i & 31;
            return l === 0 ? -h * (j === 0 ? 63 : 2 * (j - 1) + 0.5) : 0;
        });
    }
    add("Q6_K scale and value ties", (i) => {
        const k = i >> 4, l = i & 15;
        if (k === 0) return l === 0 ? 31 * 127 * h : 127 * h * ((l % 2 ? -1 : 1) * l + 0.5);  // d = h, sc 127
        const c = 2 * (k - 1) + 0.5;
        return l === 0 ? 31 * h * c : h * (c + 0.5) * ((l % 2 ? -1 : 1) * (l % 5) + 0.5);
    });
    const bits = (f: () => number) => () => {
        const v = new Float32Array(new Uint32Array([f() >>> 0]).buffer)[0]!;
        return Number.isFinite(v) ? v : 0;
    };
    add("bf16 ties (low 16 bits 0x8000)", bits(() => (rng.u32() & 0xffff0000) | 0x8000));
    add("f16 ties (low 13 bits 0x1000, f16 range)", bits(() => (rng.u32() & 0x87ffe000) | 0x38000000 | 0x1000));
    add("float32 bit patterns (any finite float)", bits(() => rng.u32()));
    return blocks;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
    return a.length === b.length ? -1 : Math.min(a.length, b.length);
}

test("the native quantizer writes the TypeScript quantizer's bytes for every type, edge blocks included", () => {
    const native = loadNativeAddon();
    const blocks = edgeBlocks();
    const all = new Float32Array(blocks.length * 256);
    blocks.forEach((b, i) => all.set(b.values, i * 256));
    for (const name of types) {
        const type = GgmlType[name];
        const want = encodeTensorTs(all, type), got = native.quantizeTensor(all, type);
        const at = firstDifference(want, got);
        if (at >= 0) {
            const superBytes = ggmlBlockLayout[type]![1] * (256 / ggmlBlockLayout[type]![0]);
            const block = Math.floor(at / superBytes);
            assert.fail(`${name}: ${got.length} bytes against ${want.length}; first difference at byte ${at} (byte ${at % superBytes} of ` +
                `block "${blocks[block]?.name}"): native ${got[at]}, TypeScript ${want[at]}`);
        }
    }
});

test("the native quantizer matches on 64K seeded random values per type, and encodeTensor returns its bytes", () => {
    const native = loadNativeAddon();
    const rng = new Rng(3);
    // the fixture generator's spread: uniform with standard deviation 1/sqrt(fan-in)
    const x = Float32Array.from({length: 65536}, () => (rng.next() * 2 - 1) * Math.sqrt(3 / 896));
    for (const name of types) {
        const want = encodeTensorTs(x, GgmlType[name]);
        assert.equal(firstDifference(want, native.quantizeTensor(x, GgmlType[name])), -1, name);
        assert.equal(firstDifference(want, encodeTensor(x, GgmlType[name])), -1, name);
    }
    // F32 stays a view of the values
    assert.equal(encodeTensor(x, GgmlType.F32).buffer, x.buffer);
});

test("quantizeTensor refuses other types and partial blocks; encodeTensor then gives the TypeScript error", () => {
    const native = loadNativeAddon();
    assert.throws(() => native.quantizeTensor(new Float32Array(96), GgmlType.Q4_K), /quantizeTensor: type 12 with 96 values: .*not whole blocks/);
    assert.throws(() => native.quantizeTensor(new Float32Array(33), GgmlType.Q8_0), RangeError);
    assert.throws(() => native.quantizeTensor(new Float32Array(32), GgmlType.Q8_1), /type 9 with 32 values/);
    assert.equal(native.quantizeTensor(new Float32Array(0), GgmlType.Q6_K).length, 0);
    assert.throws(() => encodeTensor(new Float32Array(96), GgmlType.Q5_K), /Q5_K needs a multiple of 256 values, got 96/);
    assert.throws(() => encodeTensor(new Float32Array(32), GgmlType.Q8_1), /encoding to ggml type 9 is not implemented/);
});
