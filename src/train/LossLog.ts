import {appendFileSync, existsSync, readFileSync, writeFileSync} from "node:fs";
import type {LossRecord} from "./lossRecord.js";
import {writeError} from "../runs/JsonlStore.js";

/**
 * DIR/loss.jsonl. On resume from step N the lines after N (written after the checkpoint, before
 * the crash) are cut, so the file reads as one uninterrupted run.
 */
export class LossLog {
    public constructor(public readonly path: string, resumeAtStep?: number) {
        if (resumeAtStep === undefined) {
            writeFileSync(path, "");
        } else if (existsSync(path)) {
            const kept = LossLog.read(path).filter((r) => r.step <= resumeAtStep);
            writeFileSync(path, kept.map((r) => JSON.stringify(r) + "\n").join(""));
        }
    }

    public append(record: LossRecord): void {
        try {
            appendFileSync(this.path, JSON.stringify(record) + "\n");
        } catch (err) {
            throw writeError(this.path, err);
        }
    }

    /** Reads a loss log; a half-written last line (crash mid-write) is skipped. */
    public static read(path: string): LossRecord[] {
        const out: LossRecord[] = [];
        for (const line of readFileSync(path, "utf8").split("\n")) {
            if (!line.trim()) continue;
            try { out.push(JSON.parse(line) as LossRecord); } catch { /* torn last line */ }
        }
        return out;
    }
}
