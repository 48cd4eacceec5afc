/**
 * Writes the 12 bytes of eight 6-bit scales and eight 6-bit mins that Q4_K and Q5_K super-blocks
 * share, at `at`: bytes 0-3 / 4-7 hold sub-blocks 0-3's scales / mins and the top two bits of
 * sub-blocks 4-7's, bytes 8-11 the low four bits of sub-blocks 4-7's scale and min.
 */
export function packKQuantScales(out: Uint8Array, at: number, sc: ArrayLike<number>, mn: ArrayLike<number>): void {
    for (let j = 0; j < 4; j++) {
        out[at + j] = (sc[j]! & 63) | ((sc[j + 4]! >> 4) << 6);
        out[at + 4 + j] = (mn[j]! & 63) | ((mn[j + 4]! >> 4) << 6);
        out[at + 8 + j] = (sc[j + 4]! & 0xf) | ((mn[j + 4]! & 0xf) << 4);
    }
}
