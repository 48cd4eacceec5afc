import type {Command} from "commander";
import cliProgress from "cli-progress";
import {formatBytes} from "../../models/formatBytes.js";
import {pullModel} from "../../models/pullModel.js";
import {runtimeOptions} from "./runtimeOptions.js";

export function registerModelsPullCommand(models: Command): void {
    runtimeOptions.add(models.command("pull")
        .description("download a model (catalogue name, hf:OWNER/REPO/FILE or URL): resumable, sha256-checked, atomic")
        .argument("<model>", "catalogue NAME, hf:OWNER/REPO/FILE.gguf, or an https:// URL")
        .option("--out <dir>", "folder to download into (default: DITTO_MODELS or ./models)")
        .option("--sha256 <hex>", "expected sha256 (overrides the catalogue's)"), ["offline"])
        .addHelpText("after", "\nGated models need HF_TOKEN; HF_ENDPOINT points at a Hugging Face mirror.\n\nExample:\n  ditto models pull qwen2.5-0.5b-instruct-q8_0")
        .action(async (ref: string, opts: {out?: string, sha256?: string, offline?: boolean}) => {
            const {offline} = runtimeOptions.read(opts);
            // the bar only on a terminal: in logs it would be thousands of redraws
            const bar = process.stderr.isTTY ? new cliProgress.SingleBar({
                stream: process.stderr, hideCursor: true, format: "{bar} {percentage}% | {got} of {size} | {speed}"
            }, cliProgress.Presets.shades_classic) : null;
            const started = Date.now();
            let barTotal = -1;
            let startBytes = -1;
            let lastStep = -1;
            try {
                const res = await pullModel(ref, {
                    outDir: opts.out, sha256: opts.sha256, offline,
                    onNotice: (m) => { bar?.stop(); barTotal = -1; console.error(m); },
                    onProgress: (got, total) => {
                        if (!bar) {
                            // in a log: one line per 10%, not a redrawn bar
                            const step = total ? Math.floor((got / total) * 10) : -1;
                            if (step > lastStep) { lastStep = step; console.error(`${step * 10}% (${formatBytes(got)} of ${formatBytes(total!)})`); }
                            return;
                        }
                        if (startBytes < 0) startBytes = got;
                        const payload = {got: formatBytes(got), size: total === null ? "?" : formatBytes(total),
                            speed: `${formatBytes((got - startBytes) / Math.max(0.001, (Date.now() - started) / 1000))}/s`};
                        if (barTotal !== (total ?? 0)) {
                            barTotal = total ?? 0;
                            bar.start(barTotal || got, got, payload);
                        } else bar.update(got, payload);
                    }
                });
                bar?.stop();
                if (res.alreadyPresent) console.log(`${res.path} is already there (${formatBytes(res.bytes)}); delete it to download again`);
                else console.log(`wrote ${res.path} (${formatBytes(res.bytes)}${res.resumedFrom > 0 ? `, resumed at ${formatBytes(res.resumedFrom)}` : ""})\n` +
                    `sha256 ${res.sha256} ${res.checksumFrom ? `(verified against the ${res.checksumFrom === "--sha256" ? "--sha256 value" : res.checksumFrom === "server" ? "server's checksum" : "catalogue"})` : "(no checksum known: not verified)"}`);
            } finally {
                bar?.stop();
            }
        });
}
