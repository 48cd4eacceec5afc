import {fromHalf} from "../gguf/halfFloat.js";

let halfValues: Float32Array | undefined;
/** All 65536 half values, so dequantizing a multi-gigabyte F16 tensor is one lookup per value. */
export function halfTable(): Float32Array {
    if (!halfValues) {
        halfValues = new Float32Array(65536);
        for (let h = 0; h < 65536; h++) halfValues[h] = fromHalf(h);
    }
    return halfValues;
}
