import {existsSync, renameSync} from "node:fs";

/**
 * Renames a stage's output folder to `<dir>.old-N` (the first free N), so redoing the stage with
 * other settings never destroys what the old settings made. Returns the new path.
 */
export function moveAside(dir: string): string {
    let n = 1;
    while (existsSync(`${dir}.old-${n}`)) n++;
    const to = `${dir}.old-${n}`;
    renameSync(dir, to);
    return to;
}
