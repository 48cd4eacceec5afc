/**
 * The settings that differ between two records of settings, as `key.path: old -> new` lines,
 * with nested objects flattened to the dotted keys a user types as overrides (train.lora.rank).
 * Arrays are compared whole, since a recipe sets a list as one value.
 */
export function settingsDiff(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
    const a = flatten(before), b = flatten(after);
    const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
    return keys.filter((k) => a.get(k) !== b.get(k)).map((k) => `${k}: ${a.get(k) ?? "(unset)"} -> ${b.get(k) ?? "(unset)"}`);
}

function flatten(value: unknown, prefix = "", out = new Map<string, string>()): Map<string, string> {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    } else if (value !== undefined) {
        out.set(prefix, Array.isArray(value) ? `[${value.map((v) => JSON.stringify(v)).join(", ")}]` : JSON.stringify(value));
    }
    return out;
}
