/**
 * A request the server refuses, answered as OpenAI does: the HTTP status and
 * `{"error": {"message", "type", "param", "code"}}`, so clients show the message instead of failing to parse.
 */
export class ApiError extends Error {
    public constructor(public readonly status: number, message: string,
                       public readonly options: {type?: string, param?: string | null, code?: string | null} = {}) {
        super(message);
        this.name = "ApiError";
    }

    public get body(): {error: {message: string, type: string, param: string | null, code: string | null}} {
        const type = this.options.type ?? (this.status >= 500 ? "server_error" : "invalid_request_error");
        return {error: {message: this.message, type, param: this.options.param ?? null, code: this.options.code ?? null}};
    }
}
