import type {Command} from "commander";
import {DittoError} from "../../errors/DittoError.js";
import {openChatBackend} from "../../chat/openChatBackend.js";
import {findChatCharacter, readProfileFile} from "../../chat/resolveChatCharacter.js";
import {runChatRepl} from "../../chat/runChatRepl.js";
import {runtimeOptions} from "./runtimeOptions.js";

function number(name: string, value: string | undefined, check: (n: number) => boolean): number | undefined {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || !check(n)) throw new DittoError(`--${name} ${value} is out of range`, {hint: `see ditto chat --help for --${name}`, code: "CLI_OPTION"});
    return n;
}

export function registerChatCommand(program: Command): void {
    const cmd = program.command("chat")
        .description("role-play chat in the terminal with a model (and its trained adapter): streaming, multi-turn, /reset /character /save")
        .requiredOption("--model <model>", "model, a path or catalogue name")
        .option("--adapter <file>", "LoRA adapter GGUF (e.g. runs/NAME/train/adapter.gguf)")
        .option("--character <name>", "character to play (looked up in RUN/characters.jsonl with --run)")
        .option("--profile <file>", "character profile file (JSON, JSONL or YAML with label and description)")
        .option("--run <dir>", "run folder whose characters --character and /character look up")
        .option("--max-tokens <n>", "longest reply in tokens", "512")
        .option("--temperature <t>", "sampling temperature", "0.7")
        .option("--context-size <n>", "tokens of conversation kept", "4096")
        .option("--seed <n>", "sampling seed (same seed, same replies)");
    runtimeOptions.add(cmd, ["gpu", "threads", "offline"]);
    cmd.addHelpText("after", `
Examples:
  ditto chat --model qwen2.5-7b-instruct-q8_0 --adapter runs/qwen-7b/train/adapter.gguf --run runs/qwen-7b --character "Ada Lovelace"
  ditto chat --model models/base.gguf --profile ada.yaml

In the chat: /reset, /character NAME, /save FILE, /help, /quit. Ctrl-C stops a reply, not the chat.`);
    cmd.action(async (opts: {model: string, adapter?: string, character?: string, profile?: string, run?: string, maxTokens: string,
                             temperature: string, contextSize: string, seed?: string, gpu?: string, threads?: string, offline?: boolean}) => {
        const rt = runtimeOptions.read(opts);
        if (!opts.character === !opts.profile)
            throw new DittoError("give exactly one of --character NAME and --profile FILE", {hint: "e.g. --character \"Ada Lovelace\"", code: "CLI_OPTION"});
        const character = opts.profile ? readProfileFile(opts.profile) : findChatCharacter(opts.character!, opts.run);
        const maxTokens = number("max-tokens", opts.maxTokens, (n) => Number.isInteger(n) && n >= 1)!;
        const temperature = number("temperature", opts.temperature, (n) => n >= 0 && n <= 5)!;
        const contextSize = number("context-size", opts.contextSize, (n) => Number.isInteger(n) && n >= 256)!;
        const seed = number("seed", opts.seed, (n) => Number.isInteger(n) && n >= 0);
        const backend = await openChatBackend({model: opts.model, adapter: opts.adapter, gpu: rt.gpu, threads: rt.threads, contextSize});
        try {
            await runChatRepl({backend, character, findCharacter: (name) => findChatCharacter(name, opts.run),
                sampling: {maxTokens, temperature, topP: 0.8, repeatPenalty: 1.1, ...(seed !== undefined ? {seed} : {})}});
        } finally {
            await backend.dispose();
        }
    });
}
