import {DittoError} from "../errors/DittoError.js";
import {isLoopbackHost} from "./isLoopbackHost.js";

/** A server reachable from other machines must ask for a key: refuses to start one without. */
export function checkApiKeyForHost(host: string, apiKey: string | undefined): void {
    if (!apiKey && !isLoopbackHost(host))
        throw new DittoError(`--host ${host} accepts connections from other machines, and no --api-key is set`, {
            hint: "add --api-key KEY (or DITTO_API_KEY) so only clients with the key are answered, or keep --host 127.0.0.1", code: "SERVE_API_KEY"});
}
