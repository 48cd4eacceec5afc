/** Scores with two decimals, as in the paper's table; `signed` for differences (+0.12). */
export function formatMetric(v: number | null | undefined, signed = false): string {
    if (v === null || v === undefined) return "n/a";
    const s = v.toFixed(2);
    return signed && v >= 0 ? `+${s}` : s;
}
