import {createHash} from "node:crypto";
import {deflateSync} from "node:zlib";
import encodeChunks from "png-chunks-encode";
import pngText from "png-chunk-text";

/**
 * A PNG character card: a plain avatar image (a colour from the name, so cards tell apart in a
 * front-end's list) with the card's JSON base64-encoded in a `chara` tEXt chunk, as front-ends
 * write and read them. Extra text chunks (e.g. `ccv3`) may be given for tests and other versions.
 */
export function writeCardPng(card: object, name: string, extra: {keyword: string, text: string}[] = []): Buffer {
    const width = 256, height = 384;
    const [r, g, b] = createHash("sha256").update(name).digest();
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([r! >> 1 | 64, g! >> 1 | 64, b! >> 1 | 64], 1 + x * 3);
    const pixels = Buffer.concat(Array.from({length: height}, () => row));
    const header = Buffer.alloc(13);
    header.writeUInt32BE(width, 0);
    header.writeUInt32BE(height, 4);
    header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter method extras, no interlace
    const chunks = [
        {name: "IHDR", data: header as Uint8Array},
        pngText.encode("chara", Buffer.from(JSON.stringify(card), "utf8").toString("base64")),
        ...extra.map((e) => pngText.encode(e.keyword, e.text)),
        {name: "IDAT", data: deflateSync(pixels) as Uint8Array},
        {name: "IEND", data: new Uint8Array(0)}
    ];
    return Buffer.from(encodeChunks(chunks));
}
