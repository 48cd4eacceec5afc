import {request as httpRequest, type IncomingMessage} from "node:http";
import {request as httpsRequest} from "node:https";
import {DittoError} from "../errors/DittoError.js";
import {huggingFaceEndpoint} from "./resolvePullSource.js";

export type OpenedDownload = {
    /** the final response (not a redirect); its body is unread */
    response: IncomingMessage,
    finalUrl: string,
    /** sha256 announced by Hugging Face for LFS files (X-Linked-Etag on the redirect), if any */
    serverSha: string | null
};

/**
 * GET `url` from byte `start`, following redirects (Hugging Face answers 302 to its CDN). HF_TOKEN
 * goes only to the Hugging Face host (or HF_ENDPOINT's), never to the host a redirect leads to: the
 * CDN's signed URL needs none, and a token must not leak to a third host.
 */
export async function openDownload(url: string, options: {start: number, idleTimeoutMs: number}): Promise<OpenedDownload> {
    const tokenHost = new URL(huggingFaceEndpoint()).host;
    let current = url;
    let serverSha: string | null = null;
    for (let hop = 0; hop <= 10; hop++) {
        const target = new URL(current);
        const headers: Record<string, string> = {"user-agent": "ditto-roleplay (model pull)", "accept-encoding": "identity"};
        if (options.start > 0) headers.range = `bytes=${options.start}-`;
        if (process.env.HF_TOKEN && target.host === tokenHost) headers.authorization = `Bearer ${process.env.HF_TOKEN}`;
        const response = await get(target, headers, options.idleTimeoutMs);
        const linked = /^"?([0-9a-f]{64})"?$/.exec(String(response.headers["x-linked-etag"] ?? ""));
        if (linked) serverSha = linked[1]!;
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400 && status !== 304 && response.headers.location) {
            response.resume();
            current = new URL(response.headers.location, current).toString();
            continue;
        }
        return {response, finalUrl: current, serverSha};
    }
    throw new DittoError(`${url}: more than 10 redirects`, {hint: "check the URL (a redirect loop on the server)", code: "PULL_HTTP"});
}

function get(url: URL, headers: Record<string, string>, idleTimeoutMs: number): Promise<IncomingMessage> {
    if (url.protocol !== "http:" && url.protocol !== "https:")
        return Promise.reject(new DittoError(`${url}: only http and https downloads are supported`, {hint: "give an https:// URL", code: "PULL_REF"}));
    return new Promise((resolvePromise, reject) => {
        const req = (url.protocol === "https:" ? httpsRequest : httpRequest)(url, {method: "GET", headers});
        // a silent socket, before or during the body, counts as a dropped connection (the caller resumes)
        req.setTimeout(idleTimeoutMs, () => req.destroy(Object.assign(new Error(`no data for ${idleTimeoutMs / 1000} s`), {code: "ETIMEDOUT"})));
        req.once("response", resolvePromise);
        req.once("error", reject);
        req.end();
    });
}
