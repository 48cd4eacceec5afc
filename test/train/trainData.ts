import {writeFileSync} from "node:fs";

/** A small role-play data set: sessions of different lengths so packing and batching have work to do. */
export function writeTinyDataset(path: string, sessions = 16): void {
    const lines: string[] = [];
    for (let i = 0; i < sessions; i++) {
        const messages = [
            {role: "system", content: `You are Character ${i}, a sailor from port ${i % 5}.`},
            {role: "user", content: `Where do you sail, friend number ${i}?`},
            {role: "assistant", content: `I sail the ${["north", "south", "east", "west"][i % 4]} sea${" and beyond".repeat(i % 3)}.`}
        ];
        if (i % 2) messages.push({role: "user", content: "Why?"}, {role: "assistant", content: "The wind says so."});
        lines.push(JSON.stringify({messages, meta: {id: `s${i}`}}));
    }
    writeFileSync(path, lines.join("\n") + "\n");
}
