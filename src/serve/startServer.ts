import {createHash, timingSafeEqual} from "node:crypto";
import {createServer, type IncomingMessage, type Server, type ServerResponse} from "node:http";
import type {AddressInfo} from "node:net";
import {DittoError} from "../errors/DittoError.js";
import {ApiError} from "./ApiError.js";
import {chatCompletion, type CompletionContext} from "./chatCompletion.js";
import {checkApiKeyForHost} from "./checkApiKeyForHost.js";
import type {ServedModel} from "./ServedModel.js";

export type StartServerOptions = {
    models: readonly ServedModel[],
    host?: string,
    /** 0 picks a free port */
    port?: number,
    /** required unless the host is loopback: clients send `Authorization: Bearer KEY` */
    apiKey?: string,
    /** the trained one-line system prompt, added to requests without a system message */
    system?: string,
    defaults?: CompletionContext["defaults"],
    /** largest request body (default 8 MiB) */
    maxBodyBytes?: number,
    /** one line per request */
    log?: (line: string) => void
};

export type RunningServer = {
    url: string,
    server: Server,
    /** requests being answered */
    readonly inFlight: number,
    /** stops taking requests, lets those in flight finish (all of them aborted when `abort` is true), then closes */
    close(options?: {abort?: boolean}): Promise<void>
};

export const serverDefaults = {host: "127.0.0.1", port: 8080, maxBodyBytes: 8 << 20,
    sampling: {temperature: 0.7, topP: 0.8, repeatPenalty: 1.1}} as const;

/**
 * An OpenAI-compatible HTTP server (GET /v1/models, POST /v1/chat/completions) over the served
 * models' generation pools. Every failure a request can cause is answered with an OpenAI error
 * object and the server goes on; nothing a client sends can end the process.
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
    const host = options.host ?? serverDefaults.host;
    checkApiKeyForHost(host, options.apiKey);
    const models = new Map(options.models.map((m) => [m.id, m]));
    const keyHash = options.apiKey ? createHash("sha256").update(options.apiKey).digest() : undefined;
    const maxBody = options.maxBodyBytes ?? serverDefaults.maxBodyBytes;
    const log = options.log ?? (() => {});
    const inFlight = new Set<AbortController>();
    let draining = false;
    let drained: (() => void) | undefined;

    const handle = async (req: IncomingMessage, res: ServerResponse) => {
        const started = Date.now();
        const controller = new AbortController();
        // a client that closes the connection before the answer is complete gets its generation stopped
        res.on("close", () => { if (!res.writableFinished) controller.abort(); });
        inFlight.add(controller);
        let outcome = "";
        try {
            res.setHeader("access-control-allow-origin", "*");
            if (req.method === "OPTIONS") {
                res.writeHead(204, {"access-control-allow-methods": "GET, POST, OPTIONS", "access-control-allow-headers": "authorization, content-type"}).end();
                return;
            }
            if (draining) { res.setHeader("connection", "close"); throw new ApiError(503, "the server is shutting down", {type: "server_error"}); }
            if (keyHash) {
                const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]?.trim() ?? "";
                if (!timingSafeEqual(createHash("sha256").update(given).digest(), keyHash))
                    throw new ApiError(401, given ? "Incorrect API key provided." : "You didn't provide an API key: send `Authorization: Bearer KEY`.", {code: "invalid_api_key"});
            }
            const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "");
            if (path === "/v1/models" || path.startsWith("/v1/models/")) {
                if (req.method !== "GET") throw new ApiError(405, `${req.method} is not allowed on ${path}: use GET`);
                const list = [...models.values()].map((m) => ({id: m.id, object: "model", created: m.created, owned_by: "ditto"}));
                if (path === "/v1/models") { sendJson(res, 200, {object: "list", data: list}); return; }
                const one = list.find((m) => m.id === decodeURIComponent(path.slice("/v1/models/".length)));
                if (!one) throw new ApiError(404, `The model \`${decodeURIComponent(path.slice("/v1/models/".length))}\` does not exist`, {param: "model", code: "model_not_found"});
                sendJson(res, 200, one);
                return;
            }
            if (path !== "/v1/chat/completions") throw new ApiError(404, `no route ${req.method} ${path || "/"}: ditto serves GET /v1/models and POST /v1/chat/completions`);
            if (req.method !== "POST") throw new ApiError(405, `${req.method} is not allowed on ${path}: use POST`);
            const text = await readBody(req, maxBody);
            let body: unknown;
            try { body = JSON.parse(text); } catch (err) {
                throw new ApiError(400, `We could not parse the JSON body of your request: ${err instanceof Error ? err.message : String(err)}`);
            }
            const o = await chatCompletion(body, res, {models, system: options.system, defaults: options.defaults ?? serverDefaults.sampling, signal: controller.signal});
            outcome = ` ${o.model} ${o.finish === "abort" ? "client left" : o.finish}, ${o.promptTokens} prompt + ${o.completionTokens} completion tokens`;
        } catch (err) {
            const apiErr = err instanceof ApiError ? err
                : new ApiError(500, `internal error: ${err instanceof Error ? err.message : String(err)}`, {type: "server_error"});
            if (!(err instanceof ApiError)) log(`error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
            if (!res.headersSent) sendJson(res, apiErr.status, apiErr.body);
            else if (!res.writableEnded) res.end();
            outcome = ` ${apiErr.status} ${apiErr.message.slice(0, 120)}`;
        } finally {
            inFlight.delete(controller);
            log(`${req.method} ${req.url}${outcome} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
            if (draining && inFlight.size === 0) drained?.();
        }
    };

    const server = createServer((req, res) => { void handle(req, res); });
    server.on("clientError", (_err, socket) => {
        if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
        else socket.destroy();
    });
    await new Promise<void>((accept, reject) => {
        server.once("error", (err: NodeJS.ErrnoException) => reject(new DittoError(`cannot listen on ${host}:${options.port ?? serverDefaults.port}: ${err.message}`, {
            hint: err.code === "EADDRINUSE" ? "another program uses that port: pick another with --port" : "check --host and --port", code: "SERVE_LISTEN", cause: err})));
        server.listen(options.port ?? serverDefaults.port, host, () => accept());
    });
    const address = server.address() as AddressInfo;
    const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

    return {
        url, server,
        get inFlight() { return inFlight.size; },
        async close(closeOptions = {}) {
            draining = true;
            const done = new Promise<void>((accept) => { drained = accept; if (inFlight.size === 0) accept(); });
            const closed = new Promise<void>((accept) => server.close(() => accept()));
            server.closeIdleConnections();
            if (closeOptions.abort) for (const c of inFlight) c.abort();
            await done;
            server.closeAllConnections();
            await closed;
        }
    };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, {"content-type": "application/json"}).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
    return new Promise((accept, reject) => {
        const parts: Buffer[] = [];
        let size = 0;
        req.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > limit) {
                reject(new ApiError(413, `the request body is over ${limit} bytes`));
                req.removeAllListeners("data");
                req.resume();
                return;
            }
            parts.push(chunk);
        });
        req.on("end", () => accept(Buffer.concat(parts).toString("utf8")));
        req.on("error", reject);
    });
}
