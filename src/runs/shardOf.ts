import {createHash} from "node:crypto";

/** Which of `count` shards a record id belongs to: stable across machines, spread evenly. */
export function shardOf(id: string, count: number): number {
    if (count <= 1) return 0;
    return createHash("sha256").update(id).digest().readUInt32BE(0) % count;
}
