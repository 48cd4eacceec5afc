import {existsSync, readdirSync, readFileSync} from "node:fs";
import {join, relative} from "node:path";

/** Records in `<stage>.jsonl.partial` files (each finished record is appended as it is made), and checkpoints. */
function savedWork(runDir: string): string[] {
    const out: string[] = [];
    for (const dir of [runDir, join(runDir, "eval")]) {
        if (!existsSync(dir)) continue;
        for (const f of readdirSync(dir).filter((n) => n.endsWith(".jsonl.partial")).sort()) {
            const n = readFileSync(join(dir, f), "utf8").split("\n").filter((l) => l.trim()).length;
            out.push(`${relative(runDir, join(dir, f))} (${n} record${n === 1 ? "" : "s"})`);
        }
    }
    const ck = join(runDir, "train", "checkpoints");
    if (existsSync(ck)) {
        const steps = readdirSync(ck).filter((d) => /^step-\d+$/.test(d)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
        if (steps.length > 0) out.push(`train/checkpoints/${steps[steps.length - 1]}`);
    }
    return out;
}

/**
 * Ctrl-C during a long command: says what is saved in the run folder and the command that resumes
 * (the same one), then exits 130. Returns a function that removes the handler.
 */
export function interruptNotice(runDir: () => string): () => void {
    const onSigint = () => {
        if (process.stderr.isTTY) process.stderr.write("\x1b[?25h"); // a progress bar hid the cursor
        const dir = runDir();
        const saved = savedWork(dir);
        const rel = relative(process.cwd(), dir) || ".";
        process.stderr.write(`\ninterrupted: ${saved.length > 0 ? `saved in ${rel}: ${saved.join(", ")}` : `nothing unfinished in ${rel} (finished stages are kept)`}\n` +
            `  to resume: ditto ${process.argv.slice(2).map((a) => /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`).join(" ")}` +
            " (the same command: finished records are kept, the stage goes on where it stopped)\n");
        process.exit(130);
    };
    process.on("SIGINT", onSigint);
    return () => { process.off("SIGINT", onSigint); };
}
