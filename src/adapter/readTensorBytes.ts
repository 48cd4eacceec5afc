import {closeSync, openSync, readSync} from "node:fs";
import {DittoError} from "../errors/DittoError.js";
import type {GgufTensorInfo} from "../gguf/readGgufHeader.js";

/** The raw bytes of one tensor. */
export function readTensorBytes(path: string, tensor: GgufTensorInfo): Buffer {
    const out = Buffer.alloc(tensor.bytes);
    const fd = openSync(path, "r");
    try {
        let got = 0;
        while (got < out.length) {
            const n = readSync(fd, out, got, out.length - got, tensor.offset + got);
            if (n === 0) throw new DittoError(`${path}: tensor ${tensor.name} is cut short`, {hint: "the file is truncated; copy it again", code: "GGUF_TRUNCATED"});
            got += n;
        }
    } finally {
        closeSync(fd);
    }
    return out;
}
