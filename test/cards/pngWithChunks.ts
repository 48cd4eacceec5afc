import {deflateSync} from "node:zlib";
import encodeChunks from "png-chunks-encode";

export type TestChunk = {type: "tEXt" | "zTXt" | "iTXt", keyword: string, text: string, compressed?: boolean} | {type: "raw", name: string, data: Uint8Array};

/** A 1x1 PNG carrying the given text chunks, as card makers write them (CRCs by png-chunks-encode). */
export function pngWithChunks(chunks: TestChunk[]): Buffer {
    const header = Buffer.alloc(13);
    header.writeUInt32BE(1, 0);
    header.writeUInt32BE(1, 4);
    header.set([8, 2, 0, 0, 0], 8);
    const body = chunks.map((c) => {
        if (c.type === "raw") return {name: c.name, data: c.data};
        const key = Buffer.from(c.keyword + "\0", "latin1");
        if (c.type === "tEXt") return {name: c.type, data: Buffer.concat([key, Buffer.from(c.text, "latin1")])};
        if (c.type === "zTXt") return {name: c.type, data: Buffer.concat([key, Buffer.from([0]), deflateSync(Buffer.from(c.text, "latin1"))])};
        const text = Buffer.from(c.text, "utf8");
        return {name: c.type, data: Buffer.concat([key, Buffer.from([c.compressed ? 1 : 0, 0]), Buffer.from("en\0\0", "latin1"), c.compressed ? deflateSync(text) : text])};
    });
    return Buffer.from(encodeChunks([{name: "IHDR", data: header}, ...body, {name: "IDAT", data: deflateSync(Buffer.from([0, 200, 100, 50]))}, {name: "IEND", data: new Uint8Array(0)}]));
}

export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64");
