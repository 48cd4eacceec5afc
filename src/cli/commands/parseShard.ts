import {DittoError} from "../../errors/DittoError.js";

/** `--shard i/n` (0-based i). */
export function parseShard(text: string): {index: number, count: number} {
    const m = /^(\d+)\/(\d+)$/.exec(text.trim());
    if (!m || Number(m[1]) >= Number(m[2]))
        throw new DittoError(`--shard ${text} is not of the form i/n with 0 <= i < n`, {hint: "e.g. --shard 0/4 for the first of four shards", code: "SHARD_INVALID"});
    return {index: Number(m[1]), count: Number(m[2])};
}
