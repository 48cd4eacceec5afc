import {isIP} from "node:net";

/** Whether a listen address only accepts connections from this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
    const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
    if (h === "localhost") return true;
    if (isIP(h) === 4) return h.startsWith("127.");
    if (isIP(h) === 6) return h === "::1" || h === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(h);
    return false;
}
