// Reads one big JSONL file every way the pipeline does and prints what it found and the process's
// peak RSS, as JSON. argv: the file
import {readFileSync} from "node:fs";
import {z} from "zod";
import {JsonlStore} from "../../src/runs/JsonlStore.js";
import {readJsonl} from "../../src/runs/readJsonl.js";
import {hashFileSync} from "../../src/runs/hashFileSync.js";

const file = process.argv[2]!;
const store = JsonlStore.open<{id: string}>(file);
const records = readJsonl(file, z.object({id: z.string(), n: z.number()}));
const sha256 = hashFileSync(file);
const hwmKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))![1]);
process.stdout.write(JSON.stringify({stored: store.size, read: records.length, last: records.at(-1), sha256, peakRssBytes: hwmKb * 1024}) + "\n");
