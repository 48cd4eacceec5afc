import {spawn, type ChildProcess} from "node:child_process";

export type ServeProcess = {child: ChildProcess, url: string, output: () => string, exited: Promise<number | null>};

/** Starts `ditto serve ARGS` from source on a free port and waits until it prints where it listens. */
export async function startServeProcess(args: string[]): Promise<ServeProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", "test/cli/cliEntry.ts", "serve", "--port", "0", "--gpu", "cpu", "--threads", "2", ...args],
        {stdio: ["ignore", "pipe", "pipe"]});
    let out = "";
    child.stdout!.on("data", (d: Buffer) => { out += d.toString(); });
    child.stderr!.on("data", (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`ditto serve did not start in 180 s:\n${out}`)), 180_000);
        const check = () => {
            const m = / at (http:\/\/\S+\/v1) /.exec(out);
            if (m) { clearTimeout(timer); resolve(m[1]!); }
        };
        child.stdout!.on("data", check);
        void exited.then((code) => { clearTimeout(timer); reject(new Error(`ditto serve exited with ${code} before listening:\n${out}`)); });
    });
    return {child, url, output: () => out, exited};
}
