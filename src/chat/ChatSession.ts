import {writeFileSync} from "node:fs";
import {systemLine} from "../eval/systemLine.js";
import type {ChatMessage} from "../runtime/generationTypes.js";
import type {ChatCharacter} from "./ChatCharacter.js";

/**
 * The conversation of a chat: the one-line system prompt the model was trained with (the profile
 * is not in it: the adapter must recall the character) and the turns so far.
 */
export class ChatSession {
    private turns: ChatMessage[] = [];

    public constructor(public character: ChatCharacter) {}

    public get system(): string { return systemLine(this.character.label, this.character.description); }

    /** The whole history to send for the next reply, ending with `user` when given. */
    public messages(user?: string): ChatMessage[] {
        return [{role: "system", content: this.system}, ...this.turns, ...(user !== undefined ? [{role: "user" as const, content: user}] : [])];
    }

    public add(user: string, assistant: string): void {
        this.turns.push({role: "user", content: user}, {role: "assistant", content: assistant});
    }

    public get length(): number { return this.turns.length / 2; }

    public reset(): void { this.turns = []; }

    public switchTo(character: ChatCharacter): void {
        this.character = character;
        this.reset();
    }

    /** Saves as one data set line (OpenAI messages + meta), the format training and export read. */
    public save(path: string): void {
        writeFileSync(path, JSON.stringify({messages: this.messages(), meta: {character: this.character.label, lang: this.character.lang ?? "en", source: "chat"}}, null, 2) + "\n");
    }
}
