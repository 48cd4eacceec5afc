import cliProgress from "cli-progress";
import type {StageProgress} from "./GenerateDatasetOptions.js";

/**
 * Progress of the generation stages on stderr: a live bar per stage with done/total, tokens/s and
 * ETA on a terminal ("bar"); in logs and CI ("log") a line at the start, about every 10% and at the
 * end, since redrawn bars would be noise there; nothing ("none").
 */
export class StageProgressBars {
    private bar?: cliProgress.SingleBar;
    private lastLogged = -1;
    private lastLineAt = 0;

    public constructor(private readonly mode: "bar" | "log" | "none",
                       private readonly write: (line: string) => void = (l) => process.stderr.write(l + "\n")) {}

    public onProgress = (e: StageProgress): void => {
        if (this.mode === "none") return;
        const tps = e.elapsedMs > 0 ? e.tokens / (e.elapsedMs / 1000) : 0;
        switch (e.event) {
            case "skip":
                this.write(`  ${e.stage.padEnd(10)} done already (${e.done} records), skipped`);
                return;
            case "start":
                this.lastLogged = -1;
                this.lastLineAt = Date.now();
                if (this.mode === "bar") {
                    this.bar = new cliProgress.SingleBar({
                        format: `  ${e.stage.padEnd(10)} |{bar}| {value}/{total} | {tps} tok/s | ETA {eta_formatted}`,
                        hideCursor: true, etaBuffer: 50, stream: process.stderr
                    }, cliProgress.Presets.shades_classic);
                    this.bar.start(1, 0, {tps: "-"});
                } else this.write(`  ${e.stage.padEnd(10)} started`);
                return;
            case "progress":
                if (this.bar) {
                    this.bar.setTotal(Math.max(1, e.total, e.done));
                    this.bar.update(e.done, {tps: tps.toFixed(1)});
                } else if (this.mode === "log") {
                    // a line about every 10% of the records, and at least every 10 s (with the tokens in flight)
                    const decile = e.total > 0 ? Math.floor((e.done / e.total) * 10) : -1;
                    if (decile > this.lastLogged || Date.now() - this.lastLineAt >= 10_000) {
                        this.lastLogged = Math.max(this.lastLogged, decile);
                        this.lastLineAt = Date.now();
                        const eta = e.done > 0 ? (e.total - e.done) * (e.elapsedMs / 1000) / e.done : 0;
                        this.write(`  ${e.stage.padEnd(10)} ${e.done}/${e.total || "?"} ${e.tokens} tokens ${tps.toFixed(1)} tok/s` + (e.done > 0 ? ` ETA ${Math.round(eta)}s` : ""));
                    }
                }
                return;
            case "done":
                this.bar?.setTotal(Math.max(1, e.total, e.done));
                this.bar?.update(e.done, {tps: tps.toFixed(1)});
                this.bar?.stop();
                this.bar = undefined;
                this.write(`  ${e.stage.padEnd(10)} done: ${e.done} records in ${(e.elapsedMs / 1000).toFixed(1)} s` +
                    (e.tokens > 0 ? `, ${e.tokens} tokens (${tps.toFixed(1)} tok/s)` : "") +
                    (e.trimmed && e.trimmed.profiles > 0 ? `; ${e.trimmed.profiles} profile(s) cut by ${e.trimmed.tokens} tokens to fit the context` : ""));
                return;
            default: {
                const never: never = e.event;
                throw new Error(`unknown progress event ${String(never)}`);
            }
        }
    };

    public stop(): void {
        this.bar?.stop();
        this.bar = undefined;
    }
}
