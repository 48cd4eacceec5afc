const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> IEEE half bits, round to nearest even (as numpy/ggml do). */
export function toHalf(value: number): number {
    f32[0] = value;
    const x = u32[0]!;
    const sign = (x >>> 16) & 0x8000;
    let exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
    exp = exp - 127 + 15;
    if (exp >= 0x1f) return sign | 0x7c00; // overflow -> inf
    if (exp <= 0) {
        if (exp < -10) return sign; // underflow -> 0
        mant |= 0x800000;
        const shift = 14 - exp;
        let half = mant >>> shift;
        const rem = mant & ((1 << shift) - 1);
        const mid = 1 << (shift - 1);
        if (rem > mid || (rem === mid && (half & 1))) half++;
        return sign | half;
    }
    let half = (exp << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
    return sign | half;
}

/** IEEE half bits -> float32 value. */
export function fromHalf(h: number): number {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) return sign * mant * 2 ** -24;
    if (exp === 0x1f) return mant ? NaN : sign * Infinity;
    return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits -> float32 value. */
export function fromBf16(b: number): number {
    u32[0] = (b & 0xffff) << 16;
    return f32[0]!;
}
