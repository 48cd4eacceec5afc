import {GgmlType} from "../gguf/ggufTypes.js";
import type {Blocks32Type} from "../gguf/quantizeBlocks32.js";
import {halfTable} from "./halfTable.js";

/**
 * Q4_0, Q4_1, Q5_0 or Q5_1 blocks of 32 -> float32 (layouts in src/gguf/quantizeBlocks32.ts): f16
 * d, f16 min (Q4_1, Q5_1), u32 of fifth bits (Q5_0, Q5_1), 16 bytes of nibbles, byte l holding
 * values l and l + 16. Value (q - 8) d, q d + min, (q - 16) d, q d + min; each a float32 product
 * (and sum), as the native decoder computes it, so both give the same bits.
 */
export function dequantizeBlocks32(bytes: Uint8Array, type: Blocks32Type, out: Float32Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const table = halfTable();
    const withMin = type === GgmlType.Q4_1 || type === GgmlType.Q5_1;
    const fiveBits = type === GgmlType.Q5_0 || type === GgmlType.Q5_1;
    const blockBytes = 18 + (withMin ? 2 : 0) + (fiveBits ? 4 : 0);
    const offset = withMin ? 0 : fiveBits ? 16 : 8;
    for (let b = 0; b < out.length / 32; b++) {
        const at = b * blockBytes;
        const d = table[view.getUint16(at, true)]!, min = withMin ? table[view.getUint16(at + 2, true)]! : 0;
        const high = fiveBits ? view.getUint32(at + blockBytes - 20, true) : 0;
        const qs = at + blockBytes - 16;
        for (let l = 0; l < 16; l++) {
            const q0 = (bytes[qs + l]! & 0xf) | (((high >>> l) & 1) << 4), q1 = (bytes[qs + l]! >> 4) | (((high >>> (l + 16)) & 1) << 4);
            // Math.fround: the product rounds to float32 before the min is added, as in C++
            out[b * 32 + l] = withMin ? Math.fround(q0 * d) + min : (q0 - offset) * d;
            out[b * 32 + l + 16] = withMin ? Math.fround(q1 * d) + min : (q1 - offset) * d;
        }
    }
}
