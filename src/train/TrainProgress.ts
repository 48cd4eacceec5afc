import cliProgress from "cli-progress";
import type {ProgressMode} from "./finetuneOptions.js";
import {formatDuration} from "./formatDuration.js";

/**
 * Progress on stderr: a bar with loss, tokens/s and ETA on a terminal ("bar"), one line per ~5%
 * of the run in logs and CI ("log"), or nothing ("none"). tokens/s counts this session only, so a
 * resumed run does not report the checkpoint's tokens as fast.
 */
export class TrainProgress {
    private bar?: cliProgress.SingleBar;
    private readonly startedAt = Date.now();
    private sessionTokens = 0;

    public constructor(private readonly mode: ProgressMode, private readonly total: number, private readonly startStep: number,
        private readonly write: (line: string) => void = (l) => process.stderr.write(l + "\n")) {
        if (mode === "bar") {
            this.bar = new cliProgress.SingleBar({
                format: "train |{bar}| step {value}/{total} | loss {loss} | eval {eval} | {tps} tok/s | ETA {eta_formatted}",
                hideCursor: true, etaBuffer: 20, stream: process.stderr
            }, cliProgress.Presets.shades_classic);
            this.bar.start(total, startStep, {loss: "-", eval: "-", tps: "-"});
        }
    }

    public update(step: number, loss: number, evalLoss: number | null, stepTokens: number): void {
        this.sessionTokens += stepTokens;
        const seconds = (Date.now() - this.startedAt) / 1000;
        const tps = seconds > 0 ? this.sessionTokens / seconds : 0;
        switch (this.mode) {
            case "bar":
                this.bar!.update(step, {loss: loss.toFixed(4), tps: tps.toFixed(1), ...(evalLoss === null ? {} : {eval: evalLoss.toFixed(4)})});
                break;
            case "log": {
                const every = Math.max(1, Math.floor(this.total / 20));
                // the first step's line gives the ETA early, not only after 5% of a long run
                if (step % every !== 0 && step !== this.total && step !== this.startStep + 1 && evalLoss === null) return;
                const done = step - this.startStep;
                const eta = done > 0 ? (this.total - step) * seconds / done : 0;
                this.write(`step ${step}/${this.total} loss ${loss.toFixed(4)}${evalLoss === null ? "" : ` eval ${evalLoss.toFixed(4)}`} ${tps.toFixed(1)} tok/s ETA ${formatDuration(eta)}`);
                break;
            }
            case "none":
                break;
            default: {
                const never: never = this.mode;
                throw new Error(`unknown progress mode ${String(never)}`);
            }
        }
    }

    public stop(): void {
        this.bar?.stop();
    }
}
