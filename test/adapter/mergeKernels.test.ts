// The native kernels of `ditto adapter merge` against the TypeScript they replace, bit for bit:
// loraMerge on every kernel this CPU has, at sizes that cross each kernel's vector width,
// encodeF16 against toHalf over float32 bit patterns of every class (ties, subnormals, NaN), and
// decodeForMerge against the TypeScript decoders (every half and bfloat16 value, every finite Q8_0
// scale, K-quant blocks with every scale byte), encodeQ8_0 against quantizeQ8_0 over blocks of
// every class (scales of every binade, ties of Math.round, zeros, infinities, NaNs), and mergeTensor
// against decodeForMerge + loraMerge + the encoders one after another.
import {test} from "node:test";
import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {loadNativeAddon} from "../../src/engine/loadNativeAddon.js";
import {toHalf} from "../../src/gguf/halfFloat.js";
import {halfTable} from "../../src/adapter/halfTable.js";
import {Rng} from "../../src/random/Rng.js";
import {GgmlType} from "../../src/gguf/ggufTypes.js";
import {fromBf16} from "../../src/gguf/halfFloat.js";
import {dequantizeQ4K} from "../../src/adapter/dequantizeQ4K.js";
import {dequantizeQ6K} from "../../src/adapter/dequantizeQ6K.js";
import {quantizeQ8_0} from "../../src/gguf/quantizeQ8_0.js";

/** The reference: per element, k in order, w = float(w + (factor * b) * a) in doubles, zero terms skipped. */
function referenceMerge(w: Float32Array, a: Float32Array, b: Float32Array, nOut: number, nIn: number, r: number, factor: number): void {
    for (let o = 0; o < nOut; o++)
        for (let k = 0; k < r; k++) {
            const coef = factor * b[o * r + k]!;
            if (coef === 0) continue;
            for (let i = 0; i < nIn; i++) w[o * nIn + i] += coef * a[k * nIn + i]!;
        }
}

/** Kernels this CPU can run, from the flags the kernel reports (x86-64 Linux; elsewhere portable only). */
function cpuKernels(): string[] {
    let flags = new Set<string>();
    try {
        const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags"));
        flags = new Set(line?.split(":")[1]?.trim().split(/\s+/) ?? []);
    } catch { /* not Linux */ }
    const avx2 = flags.has("avx2") && flags.has("fma") && flags.has("f16c");
    return ["portable", ...(avx2 ? ["avx2"] : []), ...(avx2 && flags.has("avx512f") ? ["avx512f"] : [])];
}

/** Values spread over several binades, so that where each sum is rounded changes the result. */
function values(rng: Rng, n: number, zeroEvery = 0): Float32Array {
    return Float32Array.from({length: n}, (_, i) => zeroEvery && i % zeroEvery === 0 ? 0 : (rng.next() * 2 - 1) * 2 ** (rng.int(12) - 6));
}

test("loraMerge gives the reference loop's bytes with every kernel this CPU has", () => {
    const addon = loadNativeAddon();
    const kernels = cpuKernels();
    let cases = 0, roundingSensitive = 0;
    for (const nIn of [1, 7, 8, 9, 15, 16, 17, 31, 33, 100])
        for (const rank of [1, 3, 16]) {
            const rng = new Rng(`merge-${nIn}-${rank}`);
            const nOut = 5, factor = 2 / rank * 0.75;
            const w = values(rng, nOut * nIn), a = values(rng, rank * nIn), b = values(rng, nOut * rank, 4);
            b.fill(0, 2 * rank, 3 * rank); // a row with no adapter contribution at all
            const want = w.slice();
            referenceMerge(want, a, b, nOut, nIn, rank, factor);
            // the same sums in float32 only: differs from the reference, so the fixture tells roundings apart
            const single = w.slice();
            for (let o = 0; o < nOut; o++)
                for (let k = 0; k < rank; k++)
                    for (let i = 0; i < nIn; i++)
                        single[o * nIn + i] = Math.fround(single[o * nIn + i]! + Math.fround(Math.fround(factor * b[o * rank + k]!) * a[k * nIn + i]!));
            if (!Buffer.from(single.buffer).equals(Buffer.from(want.buffer))) roundingSensitive++;
            for (const kernel of [undefined, ...kernels]) {
                const got = w.slice();
                addon.loraMerge(got, a, b, nOut, nIn, rank, factor, kernel);
                assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(want.buffer), `nIn ${nIn}, rank ${rank}, kernel ${kernel ?? "default"}`);
                cases++;
            }
        }
    assert.equal(cases, 30 * (kernels.length + 1));
    assert.ok(roundingSensitive >= 15, `only ${roundingSensitive} of 30 cases distinguish double from float rounding`);
});

test("loraMerge rejects mismatched sizes and unknown kernels", () => {
    const addon = loadNativeAddon();
    const w = new Float32Array(6), a = new Float32Array(3), b = new Float32Array(2);
    assert.throws(() => addon.loraMerge(w, a, b, 2, 3, 2, 1), /nOut\*nIn/);
    assert.throws(() => addon.loraMerge(w, new Float32Array(3), new Float32Array(2), 2, 3, 1, 1, "sse9"), /kernel sse9/);
});

test("encodeF16 gives toHalf's bits for every class of float32", () => {
    const patterns: number[] = [];
    for (let x = 0; x < 2 ** 32; x += 4093) patterns.push(x);
    // around the rounding point of every exponent, both signs: ties to even, carries into the exponent, subnormal halves
    for (let e = 0; e < 256; e++)
        for (const m of [0, 1, 2, 0x1ff, 0x200, 0x3fe, 0x3ff])
            for (const low of [0, 1, 0xfff, 0x1000, 0x1001, 0x1fff])
                for (const sign of [0, 2 ** 31]) patterns.push(sign + e * 2 ** 23 + m * 2 ** 13 + low);
    const values = new Float32Array(new Uint32Array(patterns).buffer);
    const want = Uint16Array.from(values, (v) => toHalf(v));
    const nans = new Set(patterns.flatMap((p, i) => (p >>> 23 & 0xff) === 0xff && (p & 0x7fffff) ? [want[i]!] : []));
    assert.deepEqual([...nans].sort(), [0x7e00, 0xfe00], "NaNs of both signs are covered");
    for (const kernel of [undefined, ...cpuKernels()]) {
        // odd lengths and offsets: every kernel's vector loop and its scalar tail
        for (const [start, end] of [[0, values.length], [3, values.length - 5]] as const) {
            const got = loadNativeAddon().encodeF16(values.subarray(start, end), kernel);
            assert.equal(got.length, end - start);
            let mismatches = 0, firstBad = "";
            got.forEach((h, i) => {
                if (h !== want[start + i]) { mismatches++; firstBad ||= `0x${patterns[start + i]!.toString(16)}: ${h} vs ${want[start + i]}`; }
            });
            assert.equal(mismatches, 0, `kernel ${kernel ?? "default"}, first: ${firstBad}`);
        }
    }
    assert.throws(() => loadNativeAddon().encodeF16(values, "sse9"), /kernel sse9/);
});

test("decodeForMerge of Q8_0 gives the TypeScript decoder's values for every finite scale, and null for the others", () => {
    const finite = Array.from({length: 65536}, (_, h) => h).filter((h) => (h & 0x7c00) !== 0x7c00);
    const rng = new Rng("q8");
    const bytes = new Uint8Array(finite.length * 34);
    finite.forEach((h, b) => {
        bytes[b * 34] = h & 0xff; bytes[b * 34 + 1] = h >> 8;
        for (let i = 0; i < 32; i++) bytes[b * 34 + 2 + i] = b % 8 === 0 ? (i * 8 + b) & 0xff : rng.int(256); // every int8 value occurs
    });
    const n = finite.length * 32;
    const got = loadNativeAddon().decodeForMerge(bytes, GgmlType.Q8_0, n);
    assert.ok(got);
    const table = halfTable(), q = new Int8Array(bytes.buffer);
    let mismatches = 0;
    for (let b = 0; b < finite.length; b++)
        for (let i = 0; i < 32; i++) if (!Object.is(got[b * 32 + i], Math.fround(table[finite[b]!]! * q[b * 34 + 2 + i]!))) mismatches++;
    assert.equal(mismatches, 0);
    for (const scale of [0x7c00, 0xfc00, 0x7e00, 0x7c01]) {
        const block = new Uint8Array(68);
        block[34] = scale & 0xff; block[35] = scale >> 8;
        assert.equal(loadNativeAddon().decodeForMerge(block, GgmlType.Q8_0, 64), null, `scale 0x${scale.toString(16)} in the second block`);
    }
    assert.throws(() => loadNativeAddon().decodeForMerge(new Uint8Array(33), GgmlType.Q8_0, 32), /not whole blocks, or bytes shorter/);
    assert.throws(() => loadNativeAddon().decodeForMerge(new Uint8Array(34), GgmlType.Q8_0, 31), /not whole blocks/);
});

/** Positions where two decodings differ bit for bit (NaN payloads and the sign of zero included). */
function bitMismatches(got: Float32Array, want: Float32Array): string[] {
    const g = new Uint32Array(got.buffer, got.byteOffset, got.length), w = new Uint32Array(want.buffer, want.byteOffset, want.length);
    const bad: string[] = [];
    for (let i = 0; i < w.length; i++) if (g[i] !== w[i]) bad.push(`${i}: 0x${g[i]!.toString(16)} vs 0x${w[i]!.toString(16)}`);
    return bad;
}

test("decodeForMerge of F16 and BF16 gives the TypeScript values for every non-NaN value, and null for a NaN", () => {
    const addon = loadNativeAddon();
    const table = halfTable();
    for (const [type, infinity, decode] of [
        [GgmlType.F16, 0x7c00, (h: number) => table[h]!],
        [GgmlType.BF16, 0x7f80, fromBf16]
    ] as const) {
        // every value but the NaNs (exponent all ones, mantissa not zero): zeros, subnormals, both infinities
        const bits = Uint16Array.from({length: 65536}, (_, h) => h).filter((h) => (h & 0x7fff) <= infinity);
        assert.equal(bits.length, 65536 - 2 * (0x7fff - infinity));
        assert.ok(bits.includes(infinity) && bits.includes(infinity | 0x8000) && bits.includes(1));
        const got = addon.decodeForMerge(new Uint8Array(bits.buffer), type, bits.length);
        assert.ok(got);
        assert.deepEqual(bitMismatches(got, Float32Array.from(bits, decode)).slice(0, 5), [], `type ${type}`);
        const withNaN = Uint16Array.of(0x3c00, type === GgmlType.F16 ? 0xfe01 : 0x7fc1);
        assert.equal(addon.decodeForMerge(new Uint8Array(withNaN.buffer), type, 2), null, `a NaN in type ${type}`);
    }
});

test("decodeForMerge of Q4_K and Q6_K gives the TypeScript decoders' values, and null for a non-finite scale", () => {
    const addon = loadNativeAddon();
    for (const [type, blockBytes, scaleAt, decode] of [
        [GgmlType.Q4_K, 144, [0, 2], dequantizeQ4K],
        [GgmlType.Q6_K, 210, [208], dequantizeQ6K]
    ] as const) {
        // random bytes for quants and scales (every scale and min byte occurs), finite f16 scales of
        // every binade, so that the rounding of d * scale * q - dmin * min shows
        const nBlocks = 4096, rng = new Rng(`kquant-decode-${type}`);
        const bytes = Uint8Array.from({length: nBlocks * blockBytes}, (_, i) => i % blockBytes < 16 && i % 7 === 0 ? (i / blockBytes) & 0xff : rng.int(256));
        for (let b = 0; b < nBlocks; b++)
            for (const at of scaleAt) {
                const h = (rng.int(31) << 10) | rng.int(1024) | (rng.int(2) << 15);
                bytes[b * blockBytes + at] = h & 0xff; bytes[b * blockBytes + at + 1] = h >> 8;
            }
        const want = new Float32Array(nBlocks * 256);
        decode(bytes, want);
        const got = addon.decodeForMerge(bytes, type, want.length);
        assert.ok(got);
        assert.deepEqual(bitMismatches(got, want).slice(0, 5), [], `type ${type}`);
        for (const at of scaleAt) {
            const bad = bytes.slice(0, 2 * blockBytes);
            bad[blockBytes + at] = 0x00; bad[blockBytes + at + 1] = 0x7e;  // NaN scale in the second block
            assert.equal(addon.decodeForMerge(bad, type, 512), null, `type ${type}, scale at byte ${at}`);
        }
        assert.throws(() => addon.decodeForMerge(bytes.subarray(0, blockBytes - 1), type, 256), /bytes shorter/);
    }
});

/** Q8_0 input blocks of every class the encoder treats differently. */
function q8Blocks(): Float32Array {
    const rng = new Rng("q8-encode");
    const blocks: number[][] = [];
    // amax of every float32 binade, subnormals included: the scale's double -> float -> half rounding
    for (let e = -149; e <= 127; e++) blocks.push(Array.from({length: 32}, (_, i) => (i === 5 ? 1 : rng.next() * 2 - 1) * 2 ** e));
    // d = 1 and d = 0.5: x / d lands exactly on k + 0.5, where Math.round goes up (-2.5 -> -2, -0.5 -> -0)
    blocks.push(Array.from({length: 32}, (_, i) => i === 0 ? 127 : i === 1 ? -127 : (i - 16) + 0.5));
    blocks.push(Array.from({length: 32}, (_, i) => i === 0 ? 63.5 : ((i - 16) + 0.5) / 2));
    blocks.push(new Array(32).fill(0), Array.from({length: 32}, (_, i) => i % 2 ? -0 : 0), new Array(32).fill(-3.25));
    // non-finite blocks: all quants 0, the scale infinity or a NaN (0xfe00 whatever the NaN's sign)
    blocks.push(Array.from({length: 32}, (_, i) => i === 7 ? Infinity : i), Array.from({length: 32}, (_, i) => i === 9 ? -Infinity : -i));
    blocks.push(Array.from({length: 32}, (_, i) => i === 3 ? NaN : i), Array.from({length: 32}, (_, i) => i === 3 ? Infinity : i === 20 ? NaN : i));
    for (let b = 0; b < 4000; b++) blocks.push(Array.from({length: 32}, () => (rng.next() * 2 - 1) * 2 ** (rng.int(40) - 20)));
    const values = Float32Array.from(blocks.flat());
    // a NaN with the sign bit set, which toHalf keeps in the scale
    new Uint32Array(values.buffer)[(blocks.length - 4001) * 32 + 3] = 0xffc00001;
    return values;
}

test("encodeQ8_0 gives quantizeQ8_0's bytes for every class of block, with every kernel this CPU has", () => {
    const values = q8Blocks();
    const want = quantizeQ8_0(values);
    const scales = new Set<number>();
    for (let b = 0; b < want.length / 34; b++) scales.add(want[b * 34]! | want[b * 34 + 1]! << 8);
    for (const h of [0x7c00, 0xfe00, 0]) assert.ok(scales.has(h), `scale 0x${h.toString(16)} is covered`);
    assert.ok([...scales].some((h) => h > 0 && h < 0x400), "subnormal scales are covered");
    for (const kernel of [undefined, ...cpuKernels()]) {
        const got = loadNativeAddon().encodeQ8_0(values, kernel);
        assert.equal(got.length, want.length);
        const bad = [...got.keys()].filter((i) => got[i] !== want[i]);
        assert.deepEqual(bad.slice(0, 5).map((i) => `block ${Math.floor(i / 34)} byte ${i % 34}: ${got[i]} vs ${want[i]}`), [], `kernel ${kernel ?? "default"}`);
    }
    assert.throws(() => loadNativeAddon().encodeQ8_0(new Float32Array(33)), /not whole 32-value blocks/);
    assert.throws(() => loadNativeAddon().encodeQ8_0(values, "sse9"), /kernel sse9/);
});

test("mergeTensor gives the bytes of decodeForMerge, loraMerge and the encoder one after another", () => {
    const addon = loadNativeAddon();
    const rng = new Rng("merge-tensor");
    // rows of 64 values: the row blocks split the 2000 rows into many tasks with a short last one
    const nOut = 2000, nIn = 64, rank = 3, factor = 0.7;
    const a = values(rng, rank * nIn), b = values(rng, nOut * rank, 5);
    const base = quantizeQ8_0(values(rng, nOut * nIn));
    const w = addon.decodeForMerge(base, GgmlType.Q8_0, nOut * nIn)!;
    addon.loraMerge(w, a, b, nOut, nIn, rank, factor);
    const wants: [number, Uint8Array][] = [
        [GgmlType.F32, new Uint8Array(w.buffer)],
        [GgmlType.F16, new Uint8Array(addon.encodeF16(w).buffer)],
        [GgmlType.Q8_0, quantizeQ8_0(w)]
    ];
    for (const [outType, want] of wants) {
        const got = addon.mergeTensor(base, GgmlType.Q8_0, a, b, nOut, nIn, rank, factor, outType);
        assert.ok(got && Buffer.from(got).equals(Buffer.from(want)), `output type ${outType}`);
    }
    const f32 = addon.mergeTensor(new Uint8Array(addon.decodeForMerge(base, GgmlType.Q8_0, nOut * nIn)!.buffer), GgmlType.F32, a, b, nOut, nIn, rank, factor, GgmlType.Q8_0);
    assert.ok(f32 && Buffer.from(f32).equals(Buffer.from(wants[2]![1])), "F32 base");
    const nanScale = base.slice();
    nanScale[34 * 1000] = 0x00; nanScale[34 * 1000 + 1] = 0x7e;
    assert.equal(addon.mergeTensor(nanScale, GgmlType.Q8_0, a, b, nOut, nIn, rank, factor, GgmlType.F16), null);
    assert.throws(() => addon.mergeTensor(base, GgmlType.Q8_0, a, b, nOut, nIn, rank, factor, GgmlType.Q4_K), /not supported/);
    assert.throws(() => addon.mergeTensor(base, GgmlType.Q8_0, a, b.subarray(1), nOut, nIn, rank, factor, GgmlType.F16), /nOut\*rank/);
});
