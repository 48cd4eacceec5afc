import {readdirSync} from "node:fs";

/** Complete checkpoints (renamed into place) in `root`, oldest first. */
export function listCheckpointSteps(root: string): number[] {
    let names: string[];
    try { names = readdirSync(root); } catch { return []; }
    return names.map((n) => /^step-(\d+)$/.exec(n)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).sort((a, b) => a - b);
}
