import {DittoError} from "./DittoError.js";

/** codes that are about the filesystem even when the error names no path (a write on an open file) */
const pathlessCodes = new Set(["ENOSPC", "EDQUOT", "EISDIR", "ENOTDIR", "EACCES", "EPERM", "EROFS", "EMFILE", "ENFILE"]);

type ErrnoError = Error & {code: string, syscall?: string, path?: string, dest?: string};

const actions: Record<string, string> = {
    open: "open", read: "read", write: "write to", mkdir: "create the folder", rename: "rename", scandir: "list the folder",
    unlink: "remove", rmdir: "remove the folder", copyfile: "copy", stat: "read", lstat: "read", access: "read", fsync: "write to",
    close: "write to", ftruncate: "write to", symlink: "create", link: "create", utime: "update", chmod: "change"
};

/**
 * A filesystem failure (permission denied, a file where a folder is expected or the reverse, a
 * full disk, a missing path) as a user error in the `error:` / `fix:` form, naming the path and
 * what was being done to it; undefined for anything else. One translation for every command, so
 * no command prints a Node stack trace for a folder the user cannot write.
 */
export function fileSystemError(err: unknown): DittoError | undefined {
    if (!(err instanceof Error) || typeof (err as Partial<ErrnoError>).code !== "string" || !/^E[A-Z]+$/.test((err as ErrnoError).code)) return undefined;
    const {code, syscall, path, dest} = err as ErrnoError;
    if (path === undefined && !pathlessCodes.has(code)) return undefined;
    // an error on an open file (write, read on a descriptor) names no path: still a user error, just less precise
    const what = `cannot ${actions[syscall ?? ""] ?? syscall ?? "use"} ${path ?? "a file"}${dest ? ` -> ${dest}` : ""}`;
    const make = (problem: string, hint: string) => new DittoError(`${what}: ${problem}`, {hint, code: `FS_${code}`, cause: err});
    switch (code) {
        case "EACCES": case "EPERM":
            return make("permission denied", "choose a path you may write to (e.g. a folder under your home), or change the folder's permissions");
        case "EROFS":
            return make("the file system is read-only", "choose a path on a writable disk");
        case "ENOSPC": case "EDQUOT":
            return make("the disk is full", "free disk space (df -h shows where) and run the same command again: finished work is kept");
        case "EISDIR":
            return make("it is a folder, not a file", "give the path of a file (or a new file name) here, not a folder");
        case "ENOTDIR":
            return make("a part of this path is a file, not a folder", "give a path whose parent folders are folders (or do not exist yet)");
        case "ENOENT":
            return make("no such file or folder", "check the path (relative paths start from the current folder)");
        case "EEXIST":
            return syscall === "mkdir" ? make("a file is in the way where a folder is needed", "give a folder path here, not a file")
                : make("it already exists", "remove it or choose another path");
        case "ENAMETOOLONG":
            return make("the name is too long", "choose a shorter path");
        case "EMFILE": case "ENFILE":
            return make("too many open files", "raise the limit (ulimit -n) and run the same command again");
        default:
            return make(`${code} (${err.message})`, "check the path and its permissions, then run the same command again");
    }
}
