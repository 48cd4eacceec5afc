import {createInterface} from "node:readline";
import type {Readable, Writable} from "node:stream";
import {DittoError} from "../errors/DittoError.js";
import type {GenerationBackend} from "../runtime/GenerationBackend.js";
import type {Sampling} from "../runtime/generationTypes.js";
import type {ChatCharacter} from "./ChatCharacter.js";
import {ChatSession} from "./ChatSession.js";

export type ChatReplOptions = {
    /** the model (with the adapter loaded, if any); one sequence is enough */
    backend: GenerationBackend,
    character: ChatCharacter,
    /** looks up a character for /character NAME */
    findCharacter: (name: string) => ChatCharacter,
    input?: Readable,
    output?: Writable,
    sampling?: Partial<Sampling>,
    /**
     * "process" (default): Ctrl-C (SIGINT) stops the reply being written; at the prompt, a second
     * Ctrl-C leaves. "none": the caller handles signals (tests, embedding).
     */
    signals?: "process" | "none"
};

export const chatHelp = `commands:
  /reset            forget the conversation (same character)
  /character NAME   play another character (the conversation starts over)
  /save FILE        save the conversation as a data set line (messages JSON)
  /help             this help
  /quit             leave (also Ctrl-D)
Ctrl-C stops the reply being written; at the prompt, press it twice to leave.`;

/**
 * A streaming multi-turn role-play REPL. Each reply streams as it is generated; Ctrl-C aborts
 * just that reply (an AbortSignal to the generator) and keeps what was written, so the session
 * goes on. Lines typed during a reply wait their turn.
 */
export async function runChatRepl(options: ChatReplOptions): Promise<ChatSession> {
    const input = options.input ?? process.stdin;
    const output = options.output ?? process.stdout;
    const session = new ChatSession(options.character);
    const terminal = (input as {isTTY?: boolean}).isTTY === true && (output as {isTTY?: boolean}).isTTY === true;
    const rl = createInterface({input, output, terminal, prompt: "you> "});
    const say = (s: string) => { output.write(s); };
    let replying: AbortController | undefined;
    let lastInterrupt = 0;

    const onInterrupt = () => {
        if (replying) { replying.abort(); return; }
        // two Ctrl-C at the prompt within 2 s leave, so one stray press never ends a long chat
        if (Date.now() - lastInterrupt < 2000) { rl.close(); return; }
        lastInterrupt = Date.now();
        say("\n(press Ctrl-C again or type /quit to leave)\n");
        rl.prompt();
    };
    if (options.signals !== "none") {
        rl.on("SIGINT", onInterrupt); // a terminal: readline sees the key
        process.on("SIGINT", onInterrupt); // piped input: the signal comes to the process
    }

    say(`Chatting with ${session.character.label}. ${session.system}\nType /help for commands.\n`);
    rl.prompt();
    try {
        for await (const raw of rl) {
            const line = raw.trim();
            if (line === "") { rl.prompt(); continue; }
            if (line.startsWith("/")) {
                const [cmd, ...rest] = line.split(/\s+/);
                const arg = rest.join(" ");
                if (cmd === "/quit" || cmd === "/exit") break;
                try {
                    switch (cmd) {
                        case "/help": say(chatHelp + "\n"); break;
                        case "/reset": session.reset(); say("(conversation reset)\n"); break;
                        case "/character":
                            if (!arg) { say("usage: /character NAME\n"); break; }
                            session.switchTo(options.findCharacter(arg));
                            say(`(now ${session.character.label}: ${session.system})\n`);
                            break;
                        case "/save":
                            if (!arg) { say("usage: /save FILE\n"); break; }
                            session.save(arg);
                            say(`(saved ${session.length} turn(s) to ${arg})\n`);
                            break;
                        default: say(`unknown command ${cmd}; /help lists them\n`);
                    }
                } catch (err) {
                    if (!(err instanceof DittoError)) throw err;
                    say(`error: ${err.message}${err.hint ? `\n  fix: ${err.hint}` : ""}\n`);
                }
                rl.prompt();
                continue;
            }
            replying = new AbortController();
            say(`${session.character.label}> `);
            let text = "";
            try {
                const res = await options.backend.generate({
                    messages: session.messages(line), sampling: options.sampling, signal: replying.signal,
                    onText: (chunk) => { text += chunk; say(chunk); }
                }).catch((err: unknown) => {
                    if (replying?.signal.aborted) return {text, finish: "abort" as const, tokens: 0};
                    throw err;
                });
                const reply = (res.text || text).trim();
                say(res.finish === "abort" ? " [stopped]\n" : res.finish === "length" ? " [max tokens]\n" : "\n");
                // a stopped reply keeps what was written; an empty one is kept too, so /save shows what happened
                if (res.finish !== "abort" || reply) session.add(line, reply);
            } finally {
                replying = undefined;
            }
            rl.prompt();
        }
    } finally {
        if (options.signals !== "none") process.off("SIGINT", onInterrupt);
        rl.close();
    }
    say("bye\n");
    return session;
}
