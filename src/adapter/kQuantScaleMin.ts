/**
 * Sub-block j's 6-bit scale and min from the 12 bytes at `sc` that Q4_K and Q5_K share: bytes
 * 0-3 / 4-7 hold sub-blocks 0-3 directly; 4-7 take their low four bits from bytes 8-11 and their
 * top two from the spare bits of bytes 0-7. Written into `into` ([scale, min]) to spare an array
 * per sub-block.
 */
export function kQuantScaleMin(bytes: Uint8Array, sc: number, j: number, into: [number, number]): [number, number] {
    if (j < 4) {
        into[0] = bytes[sc + j]! & 63;
        into[1] = bytes[sc + j + 4]! & 63;
    } else {
        into[0] = (bytes[sc + j + 4]! & 0xf) | ((bytes[sc + j - 4]! >> 6) << 4);
        into[1] = (bytes[sc + j + 4]! >> 4) | ((bytes[sc + j]! >> 6) << 4);
    }
    return into;
}
