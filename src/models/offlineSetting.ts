/** Which setting, if any, forbids network use: the flag wins, then DITTO_OFFLINE (1/true/yes). */
export function offlineSetting(flag?: boolean): "--offline" | "DITTO_OFFLINE" | null {
    if (flag) return "--offline";
    const env = (process.env.DITTO_OFFLINE ?? "").trim().toLowerCase();
    if (env === "1" || env === "true" || env === "yes") return "DITTO_OFFLINE";
    return null;
}
