import {existsSync, readFileSync} from "node:fs";
import type {LossPoint} from "./reportTypes.js";

/**
 * train/loss.jsonl lines `{step, loss, eval_loss?}`, for the report's loss curve. Lines that do not
 * fit (a half-written last line of a running training) are skipped: the curve is informative, not
 * a result.
 */
export function readLoss(path: string): LossPoint[] {
    if (!existsSync(path)) return [];
    const out: LossPoint[] = [];
    for (const line of readFileSync(path, "utf8").split("\n")) {
        if (line.trim() === "") continue;
        try {
            const v = JSON.parse(line) as {step?: unknown, loss?: unknown, eval_loss?: unknown};
            if (typeof v.step !== "number" || typeof v.loss !== "number" || !Number.isFinite(v.loss)) continue;
            out.push({step: v.step, loss: v.loss, ...(typeof v.eval_loss === "number" && Number.isFinite(v.eval_loss) ? {eval_loss: v.eval_loss} : {})});
        } catch { /* partial line */ }
    }
    return out.sort((a, b) => a.step - b.step);
}
