import {closeSync, openSync, readFileSync, unlinkSync, writeSync} from "node:fs";
import {hostname} from "node:os";
import {DittoError} from "../errors/DittoError.js";

/**
 * An exclusive claim on one download (`FILE.lock` beside FILE.partial), so two `ditto models
 * pull` of the same file never append to one partial file. The lock holds "pid@host"; a lock
 * left by a process that no longer runs on this host (killed, machine rebooted) is taken over.
 * Returns the release function.
 */
export function acquirePullLock(dest: string): () => void {
    const lock = dest + ".lock";
    const me = `${process.pid}@${hostname()}`;
    for (let attempt = 0; attempt < 2; attempt++) {
        let fd: number;
        try {
            fd = openSync(lock, "wx");
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
            const holder = readHolder(lock);
            if (holder && holderIsGone(holder)) {
                try { unlinkSync(lock); } catch { /* another pull took it over first */ }
                continue;
            }
            throw new DittoError(`another download of ${dest} is running${holder ? ` (process ${holder.pid} on ${holder.host})` : ""}`, {
                hint: `wait for it to finish (or stop it), then run this again; if no other pull is running, delete ${lock}`,
                code: "PULL_LOCKED"});
        }
        try { writeSync(fd, me); } finally { closeSync(fd); }
        return () => {
            // only remove the lock if it is still ours
            const holder = readHolder(lock);
            if (holder && `${holder.pid}@${holder.host}` === me) {
                try { unlinkSync(lock); } catch { /* already gone */ }
            }
        };
    }
    throw new DittoError(`cannot take the lock ${lock}: other processes keep replacing it`, {
        hint: `make sure only one pull of this file runs, delete ${lock}, and run this again`, code: "PULL_LOCKED"});
}

function readHolder(lock: string): {pid: number, host: string} | null {
    try {
        const m = /^(\d+)@(.*)$/.exec(readFileSync(lock, "utf8").trim());
        return m ? {pid: Number(m[1]), host: m[2]!} : null;
    } catch {
        return null;
    }
}

function holderIsGone(holder: {pid: number, host: string}): boolean {
    if (holder.host !== hostname()) return false;  // cannot tell for another machine (shared disk): keep it
    try {
        process.kill(holder.pid, 0);
        return false;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "ESRCH";
    }
}
