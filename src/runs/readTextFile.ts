import {readFileSync, statSync} from "node:fs";
import {DittoError} from "../errors/DittoError.js";
import {fileSystemError} from "../errors/fileSystemError.js";

/**
 * A UTF-8 text file the user gave (data set, profile, recipe, run file), without a leading byte
 * order mark (editors on Windows write one; it is not part of the text). A folder or an unreadable
 * path is a user error naming the path, since Node's own EISDIR on read names none.
 */
export function readTextFile(path: string): string {
    let text: string;
    try {
        if (statSync(path).isDirectory())
            throw new DittoError(`${path} is a folder, not a file`, {hint: "give the path of a file inside it", code: "FS_EISDIR"});
        text = readFileSync(path, "utf8");
    } catch (err) {
        if (err instanceof DittoError) throw err;
        throw fileSystemError(Object.assign(err as Error, {path: (err as {path?: string}).path ?? path})) ?? err;
    }
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
