import cliProgress from "cli-progress";
import type {StageProgress} from "./GenerateDatasetOptions.js";

/**
 * One progress bar per stage on stderr (done/total, tokens/s, ETA). Without a terminal (logs, CI)
 * the bars would be noise: a line per finished stage instead; `quiet` prints nothing.
 */
export class StageProgressBars {
    private bar?: cliProgress.SingleBar;
    private readonly tty: boolean;

    public constructor(private readonly quiet = false, stream: NodeJS.WriteStream = process.stderr) {
        this.tty = Boolean(stream.isTTY);
    }

    public readonly onProgress = (e: StageProgress): void => {
        if (this.quiet) return;
        const tps = e.elapsedMs > 0 ? (e.tokens / (e.elapsedMs / 1000)).toFixed(0) : "0";
        if (!this.tty) {
            if (e.event === "done") process.stderr.write(`${e.stage}: ${e.done} done in ${(e.elapsedMs / 1000).toFixed(1)} s${e.tokens ? `, ${e.tokens} tokens (${tps} tok/s)` : ""}\n`);
            if (e.event === "skip") process.stderr.write(`${e.stage}: already complete (${e.done})\n`);
            return;
        }
        switch (e.event) {
            case "start":
                this.bar = new cliProgress.SingleBar({
                    format: `${e.stage.padEnd(10)} |{bar}| {value}/{total} | {tps} tok/s | ETA {eta_formatted}`,
                    hideCursor: true, clearOnComplete: false, stream: process.stderr, etaBuffer: 50
                }, cliProgress.Presets.shades_classic);
                this.bar.start(1, 0, {tps: "0"});
                break;
            case "progress":
                this.bar?.setTotal(Math.max(1, e.total));
                this.bar?.update(e.done, {tps});
                break;
            case "done":
                this.bar?.setTotal(Math.max(1, e.total));
                this.bar?.update(e.total, {tps});
                this.bar?.stop();
                this.bar = undefined;
                break;
            case "skip":
                process.stderr.write(`${e.stage.padEnd(10)} already complete (${e.done})\n`);
                break;
            default: {
                const never: never = e.event;
                throw new Error(`unknown progress event ${String(never)}`);
            }
        }
    };

    public stop(): void { this.bar?.stop(); }
}
