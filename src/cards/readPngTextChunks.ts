import extractChunks from "png-chunks-extract";
import pngText from "png-chunk-text";
import {inflateSync} from "node:zlib";
import {CardError} from "./CardError.js";
import {cardLimits} from "./cardLimits.js";

const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const textChunks = new Set(["tEXt", "zTXt", "iTXt"]);

export function isPng(bytes: Uint8Array): boolean {
    return bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(signature);
}

/**
 * The text chunks (tEXt, zTXt, iTXt) of a PNG as keyword -> text. The chunk lengths are checked
 * against the file and the card limit before png-chunks-extract reads the file (it would allocate
 * whatever a damaged length field claims), then it checks each chunk's CRC.
 */
export function readPngTextChunks(bytes: Uint8Array): Map<string, string> {
    if (!isPng(bytes)) throw new CardError("not a PNG file (no PNG signature)");
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let pos = 8; pos < view.length;) {
        if (pos + 12 > view.length) throw new CardError(`damaged PNG: the file ends inside a chunk header at byte ${pos}`);
        const length = view.readUInt32BE(pos);
        const type = view.toString("latin1", pos + 4, pos + 8);
        if (length > view.length - pos - 12)
            throw new CardError(`damaged PNG: chunk ${JSON.stringify(type)} at byte ${pos} claims ${length} bytes, the file has ${view.length - pos - 12} left`);
        if (textChunks.has(type) && length > cardLimits.textChunkBytes)
            throw new CardError(`${type} chunk at byte ${pos} is ${(length / 1e6).toFixed(1)} MB, over the ${cardLimits.textChunkBytes / (1 << 20)} MiB a card may hold`);
        pos += length + 12;
        if (type === "IEND") break;
    }
    let chunks: {name: string, data: Uint8Array}[];
    try {
        chunks = extractChunks(bytes);
    } catch (err) {
        throw new CardError(`damaged PNG: ${err instanceof Error ? err.message : String(err)}`);
    }
    const out = new Map<string, string>();
    for (const chunk of chunks) {
        if (!textChunks.has(chunk.name)) continue;
        const text = decodeChunk(chunk.name, Buffer.from(chunk.data));
        if (text && !out.has(text.keyword)) out.set(text.keyword, text.text);
    }
    return out;
}

function decodeChunk(type: string, data: Buffer): {keyword: string, text: string} | undefined {
    try {
        if (type === "tEXt") return pngText.decode(data);
        const nul = data.indexOf(0);
        if (nul < 1) return undefined;
        const keyword = data.toString("latin1", 0, nul);
        if (type === "zTXt") return {keyword, text: inflate(data.subarray(nul + 2)).toString("latin1")};
        // iTXt: keyword 0 flag method language 0 translated-keyword 0 text (UTF-8, deflated when flag is 1)
        const compressed = data[nul + 1] === 1;
        const langEnd = data.indexOf(0, nul + 3);
        const transEnd = langEnd < 0 ? -1 : data.indexOf(0, langEnd + 1);
        if (transEnd < 0) throw new CardError(`damaged iTXt chunk ${JSON.stringify(keyword)}: missing its language fields`);
        const body = data.subarray(transEnd + 1);
        return {keyword, text: (compressed ? inflate(body) : body).toString("utf8")};
    } catch (err) {
        if (err instanceof CardError) throw err;
        throw new CardError(`damaged ${type} chunk: ${err instanceof Error ? err.message : String(err)}`);
    }
}

function inflate(data: Buffer): Buffer {
    return inflateSync(data, {maxOutputLength: cardLimits.textChunkBytes});
}
