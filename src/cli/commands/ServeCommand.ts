import type {Command} from "commander";
import {findChatCharacter} from "../../chat/resolveChatCharacter.js";
import {DittoError} from "../../errors/DittoError.js";
import {systemLine} from "../../eval/systemLine.js";
import {checkApiKeyForHost} from "../../serve/checkApiKeyForHost.js";
import {openServedModels, serveDefaults} from "../../serve/openServedModels.js";
import {serverDefaults, startServer} from "../../serve/startServer.js";
import {runtimeOptions} from "./runtimeOptions.js";

function whole(name: string, value: string, min: number, max: number): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
        throw new DittoError(`--${name} ${value} is not a whole number from ${min} to ${max}`, {hint: `see ditto serve --help for --${name}`, code: "CLI_OPTION"});
    return n;
}

export function registerServeCommand(program: Command): void {
    const cmd = program.command("serve")
        .description("serve a model and its trained adapters over an OpenAI-compatible HTTP API (chat completions, streaming), for role-play front-ends")
        .requiredOption("--model <model>", "base model, a path, catalogue name or fixture:NAME")
        .option("--adapter <file...>", "LoRA adapter GGUF, served as its own model (name: its run folder, or NAME=FILE); repeat for several")
        .option("--character <name>", "character whose trained system line is added to requests that have no system message")
        .option("--run <dir>", "run folder --character is looked up in (characters.jsonl)")
        .option("--host <address>", "address to listen on; anything but loopback needs --api-key", serverDefaults.host)
        .option("--port <n>", "port (0: any free port)", String(serverDefaults.port))
        .option("--api-key <key>", "clients must send `Authorization: Bearer KEY` (env DITTO_API_KEY)")
        .option("--parallel <n>", "conversations generated at once per served model (more wait their turn)", String(serveDefaults.parallel))
        .option("--context-size <n>", "tokens per conversation (prompt and reply)", String(serveDefaults.contextSize));
    runtimeOptions.add(cmd, ["gpu", "threads"]);
    cmd.addHelpText("after", `
Examples:
  ditto serve --model fixture:qwen2-tiny-q8_0 --adapter runs/tiny/train/adapter.gguf --run runs/tiny --character "Sherlock Holmes"
  ditto serve --model qwen2.5-7b-instruct-q8_0 --adapter ada=runs/a/train/adapter.gguf --adapter bob=runs/b/train/adapter.gguf --parallel 8
  ditto serve --model models/base.gguf --host 0.0.0.0 --port 8080 --api-key "$KEY"

Then point any OpenAI client at http://HOST:PORT/v1 (model: the adapter's name):
  curl http://127.0.0.1:8080/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model": "tiny", "messages": [{"role": "user", "content": "Who are you?"}], "stream": true}'
Ctrl-C lets the requests in flight finish, then exits; a second Ctrl-C stops them.`);
    cmd.action(async (opts: {model: string, adapter?: string[], character?: string, run?: string, host: string, port: string, apiKey?: string,
                             parallel: string, contextSize: string, gpu?: string, threads?: string}) => {
        const rt = runtimeOptions.read(opts);
        const port = whole("port", opts.port, 0, 65535);
        const parallel = whole("parallel", opts.parallel, 1, 256);
        const contextSize = whole("context-size", opts.contextSize, 256, 1 << 20);
        if (opts.run && !opts.character) throw new DittoError("--run is only used with --character", {hint: "add --character NAME (a label from RUN/characters.jsonl)", code: "CLI_OPTION"});
        const character = opts.character ? findChatCharacter(opts.character, opts.run) : undefined;
        const system = character ? systemLine(character.label, character.description) : undefined;
        const apiKey = opts.apiKey ?? (process.env.DITTO_API_KEY || undefined);
        checkApiKeyForHost(opts.host, apiKey);
        const models = await openServedModels({model: opts.model, adapters: opts.adapter, parallel, contextSize, gpu: rt.gpu, threads: rt.threads});
        let server;
        try {
            server = await startServer({models, host: opts.host, port, apiKey, system, log: (l) => console.log(l)});
        } catch (err) {
            for (const m of models) await m.pool.dispose();
            throw err;
        }
        const running = server;
        console.log(`serving ${models.map((m) => m.id).join(", ")} at ${running.url}/v1 (${parallel} conversations at once each, ${contextSize} tokens per conversation${apiKey ? ", API key required" : ""})`);
        if (system) console.log(`system line for requests without one: ${system}`);
        console.log("Ctrl-C to stop");
        await new Promise<void>((accept) => {
            let stopping = false;
            const stop = () => {
                if (stopping) {
                    console.log(`stopping ${running.inFlight} request(s) now`);
                    void running.close({abort: true});
                    return;
                }
                stopping = true;
                console.log(running.inFlight > 0 ? `finishing ${running.inFlight} request(s) in flight (Ctrl-C again to stop them now)` : "stopping");
                void running.close().then(accept);
            };
            process.on("SIGINT", stop);
            process.on("SIGTERM", stop);
        });
        for (const m of models) await m.pool.dispose();
        console.log("stopped");
    });
}
