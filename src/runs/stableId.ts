import {createHash} from "node:crypto";

/**
 * A short id derived only from a record's inputs, so a restarted run names the same work the same
 * way and can skip what is done (formats.md: "every line carries a stable id").
 */
export function stableId(prefix: string, ...parts: (string | number)[]): string {
    return `${prefix}-${createHash("sha256").update(parts.map(String).join("\u0000")).digest("hex").slice(0, 16)}`;
}
