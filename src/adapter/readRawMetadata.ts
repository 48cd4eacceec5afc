import {closeSync, openSync, readSync} from "node:fs";
import type {GgufHeader} from "../gguf/readGgufHeader.js";

/** Fixed sizes of GGUF scalar value types, by type id (strings and arrays are variable). */
const scalarBytes: Record<number, number> = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8};

/**
 * The key-value section of a GGUF file as raw bytes, with its count. Copying it verbatim keeps
 * every key's exact value type (u32 vs i32 vs f32 ...), which llama.cpp checks strictly and which
 * a parsed-then-rewritten header could get wrong.
 */
export function readRawMetadata(header: GgufHeader): {count: number, bytes: Buffer} {
    const fd = openSync(header.path, "r");
    try {
        const head = Buffer.alloc(header.dataOffset);
        let got = 0;
        while (got < head.length) {
            const n = readSync(fd, head, got, head.length - got, got);
            if (n === 0) break;
            got += n;
        }
        const count = Number(head.readBigUInt64LE(16));
        let pos = 24;
        const skipString = () => { pos += 8 + Number(head.readBigUInt64LE(pos)); };
        const skipValue = (type: number) => {
            if (type === 8) { skipString(); return; }
            if (type === 9) {
                const itemType = head.readUInt32LE(pos);
                const n = Number(head.readBigUInt64LE(pos + 4));
                pos += 12;
                const fixed = scalarBytes[itemType];
                if (fixed !== undefined) pos += fixed * n;
                else for (let i = 0; i < n; i++) skipValue(itemType);
                return;
            }
            const size = scalarBytes[type];
            if (size === undefined) throw new Error(`${header.path}: unknown GGUF value type ${type}`);
            pos += size;
        };
        for (let i = 0; i < count; i++) {
            skipString();
            const type = head.readUInt32LE(pos);
            pos += 4;
            skipValue(type);
        }
        return {count, bytes: head.subarray(24, pos)};
    } finally {
        closeSync(fd);
    }
}
