// client.ts: a typed saasd client over fetch (Node 20+, browsers, Workers).
//
// Every route of openapi.yaml is reachable through request(method, path,
// options), typed by the generated `paths` (src/schema.d.ts): path
// parameters, query, JSON body and the 2xx answer. The named methods
// (auth.*, organizations.*, ...) are thin wrappers over it. The client
// sends the tenant key as `Authorization: Bearer` and the session token it
// holds as `X-Session-Token`; it keeps the token that register, login and
// refresh answer with and forgets it on logout and on 401 invalid_session.
import type { paths } from "./schema.js";
import { SaasdError, type ErrorEnvelope } from "./errors.js";

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

type Defined<T> = Exclude<T, undefined>;

/** The paths of the spec that have an operation for `M`. */
export type PathsWith<M extends HttpMethod> = {
	[P in keyof paths]: [Defined<paths[P][M]>] extends [never] ? never : P;
}[keyof paths];

/** The operation object of `M path`. */
export type Operation<M extends HttpMethod, P extends PathsWith<M>> = Defined<paths[P][M]>;

type Params<O> = O extends { parameters: infer X } ? X : never;
type PathParamsOf<O> = Params<O> extends { path: infer X } ? Defined<X> : never;
type QueryOf<O> = Params<O> extends { query?: infer X } ? Defined<X> : never;
type QueryRequired<O> = Params<O> extends { query: infer X } ? ([Defined<X>] extends [never] ? false : true) : false;
type BodyOf<O> = O extends { requestBody?: infer RB }
	? Defined<RB> extends { content: { "application/json": infer B } }
		? B
		: never
	: never;
type BodyRequired<O> = O extends { requestBody: { content: unknown } } ? true : false;

type Success = 200 | 201 | 202 | 204;
type Responses<O> = O extends { responses: infer R } ? R : never;
type JsonOf<R> = R extends { content: { "application/json": infer B } } ? B : undefined;

/** The JSON body of the 2xx answers of an operation (undefined for 204). */
export type SuccessBody<O> = {
	[S in keyof Responses<O>]: S extends Success ? JsonOf<Responses<O>[S]> : never;
}[keyof Responses<O>];

/** What every call takes besides its parameters. */
export interface CallOptions {
	/** extra request headers (e.g. `Idempotency-Key`, `X-Request-Id`) */
	headers?: Record<string, string>;
	signal?: AbortSignal;
	/**
	 * The session to act as: omitted, the client's session token (if any);
	 * a string, that token for this call; `false`, none (a system call).
	 */
	session?: string | false;
}

type PathPart<O> = [PathParamsOf<O>] extends [never] ? { path?: undefined } : { path: PathParamsOf<O> };
type QueryPart<O> = [QueryOf<O>] extends [never]
	? { query?: undefined }
	: QueryRequired<O> extends true
		? { query: QueryOf<O> }
		: { query?: QueryOf<O> };
type BodyPart<O> = [BodyOf<O>] extends [never]
	? { body?: undefined }
	: BodyRequired<O> extends true
		? { body: BodyOf<O> }
		: { body?: BodyOf<O> };

/** The options of `M path`: its path parameters, query and body as the spec types them. */
export type RequestOptions<O> = CallOptions & PathPart<O> & QueryPart<O> & BodyPart<O>;

type IsOptional<T> = {} extends T ? true : false;
type OptionsArg<O> = IsOptional<RequestOptions<O>> extends true ? [options?: RequestOptions<O>] : [options: RequestOptions<O>];

export interface ClientOptions {
	/** saasd's base URL, e.g. `https://auth.example.com` (PUBLIC_URL) */
	baseUrl: string;
	/** the tenant's key: `sk_live_...` on a server, `pk_live_...` in a browser */
	key: string;
	/** a session token to start with (e.g. from a cookie or storage) */
	sessionToken?: string | null;
	/** a fetch to use instead of globalThis.fetch (tests, service bindings) */
	fetch?: typeof fetch;
	/** headers sent with every call */
	headers?: Record<string, string>;
	/** called whenever the client's session token changes (null: forgotten) */
	onSessionToken?: (token: string | null) => void;
}

type Ok<M extends HttpMethod, P extends PathsWith<M>> = SuccessBody<Operation<M, P>>;
type Body<M extends HttpMethod, P extends PathsWith<M>> = BodyOf<Operation<M, P>>;
type Query<M extends HttpMethod, P extends PathsWith<M>> = QueryOf<Operation<M, P>>;

export type AuthResult = Ok<"post", "/auth/login">;
export type AccessTokenResponse = Ok<"post", "/auth/token">;

/** The client createClient returns. */
export interface SaasdClient {
	/** Any route of the spec: `request("post", "/organizations/{id}/usage", {path: {id}, body})`. */
	request<M extends HttpMethod, P extends PathsWith<M>>(method: M, path: P, ...options: OptionsArg<Operation<M, P>>): Promise<Ok<M, P>>;
	/** The session token the client holds (null: none). */
	readonly sessionToken: string | null;
	setSessionToken(token: string | null): void;

	auth: {
		register(body: Body<"post", "/auth/register">, options?: CallOptions): Promise<Ok<"post", "/auth/register">>;
		login(body: Body<"post", "/auth/login">, options?: CallOptions): Promise<Ok<"post", "/auth/login">>;
		logout(options?: CallOptions): Promise<void>;
		session(options?: CallOptions): Promise<Ok<"get", "/auth/session">>;
		sessions(options?: CallOptions): Promise<Ok<"get", "/auth/sessions">>;
		revokeSession(id: string, options?: CallOptions): Promise<void>;
		/** An access token (JWT) for the session; with an organization, its org and ent claims too. */
		token(body?: Body<"post", "/auth/token">, options?: CallOptions): Promise<Ok<"post", "/auth/token">>;
		/** Rotates the session token; the client keeps the new one. */
		refresh(options?: CallOptions): Promise<Ok<"post", "/auth/session/refresh">>;
	};
	users: {
		get(id: string, options?: CallOptions): Promise<Ok<"get", "/users/{id}">>;
		organizations(userId: string, query?: Query<"get", "/users/{userId}/organizations">, options?: CallOptions): Promise<Ok<"get", "/users/{userId}/organizations">>;
	};
	organizations: {
		create(body: Body<"post", "/organizations">, options?: CallOptions): Promise<Ok<"post", "/organizations">>;
		get(id: string, options?: CallOptions): Promise<Ok<"get", "/organizations/{id}">>;
		update(id: string, body: Body<"patch", "/organizations/{id}">, options?: CallOptions): Promise<Ok<"patch", "/organizations/{id}">>;
		delete(id: string, options?: CallOptions): Promise<void>;
		members(id: string, query?: Query<"get", "/organizations/{id}/members">, options?: CallOptions): Promise<Ok<"get", "/organizations/{id}/members">>;
		setRole(id: string, userId: string, body: Body<"patch", "/organizations/{id}/members/{userId}">, options?: CallOptions): Promise<Ok<"patch", "/organizations/{id}/members/{userId}">>;
		removeMember(id: string, userId: string, options?: CallOptions): Promise<void>;
		permissions(id: string, userId: string, options?: CallOptions): Promise<Ok<"get", "/organizations/{id}/members/{userId}/permissions">>;
		/** `{user_id, permission}` → `{allowed, role}` */
		checkPermission(id: string, body: Body<"post", "/organizations/{id}/permissions/check">, options?: CallOptions): Promise<Ok<"post", "/organizations/{id}/permissions/check">>;
		invite(id: string, body: Body<"post", "/organizations/{id}/invitations">, options?: CallOptions): Promise<Ok<"post", "/organizations/{id}/invitations">>;
		entitlements(id: string, options?: CallOptions): Promise<Ok<"get", "/organizations/{id}/entitlements">>;
		recordUsage(id: string, body: Body<"post", "/organizations/{id}/usage">, options?: CallOptions): Promise<Ok<"post", "/organizations/{id}/usage">>;
		usage(id: string, query: Query<"get", "/organizations/{id}/usage">, options?: CallOptions): Promise<Ok<"get", "/organizations/{id}/usage">>;
	};
	invitations: {
		accept(id: string, body?: Body<"post", "/invitations/{id}/accept">, options?: CallOptions): Promise<Ok<"post", "/invitations/{id}/accept">>;
		reject(id: string, options?: CallOptions): Promise<Ok<"post", "/invitations/{id}/reject">>;
	};
}

const PARAM = /\{([A-Za-z0-9_]+)\}/g;

/** `/organizations/{id}` with `{id: "org_1"}` → `/organizations/org_1` (each value URI-encoded). */
export function buildPath(template: string, params?: Record<string, unknown>): string {
	return template.replace(PARAM, (_, name: string) => {
		const v = params?.[name];
		if (v === undefined || v === null || v === "")
			throw new TypeError(`saasd: path parameter "${name}" of ${template} is missing`);
		return encodeURIComponent(String(v));
	});
}

function buildQuery(query?: Record<string, unknown>): string {
	if (!query) return "";
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(query)) {
		if (v === undefined || v === null) continue;
		if (Array.isArray(v)) for (const item of v) q.append(k, String(item));
		else q.append(k, String(v));
	}
	const s = q.toString();
	return s ? `?${s}` : "";
}

function retryAfter(h: string | null): number | null {
	if (h === null) return null;
	const n = Number(h);
	return Number.isFinite(n) && n >= 0 ? n : null;
}

/** A SaasdError from a non-2xx answer: the API.md envelope when there is one. */
export async function errorFromResponse(res: Response): Promise<SaasdError> {
	const headerId = res.headers.get("x-request-id");
	const after = retryAfter(res.headers.get("retry-after"));
	let text = "";
	try {
		text = await res.text();
	} catch {
		/* the body is gone: report the status alone */
	}
	let env: ErrorEnvelope | null = null;
	try {
		const parsed: unknown = JSON.parse(text);
		if (parsed && typeof parsed === "object" && "error" in parsed) {
			const e = (parsed as { error: unknown }).error;
			if (e && typeof e === "object" && typeof (e as { code?: unknown }).code === "string")
				env = parsed as ErrorEnvelope;
		}
	} catch {
		/* not JSON */
	}
	if (!env) {
		return new SaasdError({
			status: res.status,
			code: "unexpected_response",
			message: `saasd answered ${res.status} without an error envelope`,
			requestId: headerId,
			retryAfter: after,
		});
	}
	const { code, message, request_id, fields, ...details } = env.error;
	return new SaasdError({
		status: res.status,
		code,
		message: typeof message === "string" ? message : String(code),
		fields: fields && typeof fields === "object" ? fields : {},
		requestId: typeof request_id === "string" ? request_id : headerId,
		retryAfter: after,
		details,
	});
}

function sessionTokenOf(body: unknown): string | null {
	if (!body || typeof body !== "object") return null;
	const s = (body as { session?: unknown }).session;
	if (!s || typeof s !== "object") return null;
	const t = (s as { token?: unknown }).token;
	return typeof t === "string" && t !== "" ? t : null;
}

/**
 * A client for one tenant. Keep one per user (browser) or one per request
 * with `session` per call (server): the session token is the client's state.
 */
export function createClient(options: ClientOptions): SaasdClient {
	if (!options || typeof options.baseUrl !== "string" || options.baseUrl === "")
		throw new TypeError("saasd: createClient needs baseUrl");
	if (typeof options.key !== "string" || options.key === "") throw new TypeError("saasd: createClient needs key");
	const base = options.baseUrl.replace(/\/+$/, "");
	const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
	let token: string | null = options.sessionToken ?? null;

	function setToken(t: string | null) {
		if (t === token) return;
		token = t;
		options.onSessionToken?.(t);
	}

	async function call(method: string, template: string, opts: Record<string, unknown> = {}): Promise<unknown> {
		const url = base + buildPath(template, opts.path as Record<string, unknown>) + buildQuery(opts.query as Record<string, unknown>);
		const headers = new Headers(options.headers);
		headers.set("Accept", "application/json");
		headers.set("Authorization", `Bearer ${options.key}`);
		const session = opts.session as string | false | undefined;
		const sent = session === false ? null : (session ?? token);
		if (sent) headers.set("X-Session-Token", sent);
		for (const [k, v] of Object.entries((opts.headers as Record<string, string>) ?? {})) headers.set(k, v);
		const init: RequestInit = { method: method.toUpperCase(), headers, signal: opts.signal as AbortSignal | undefined };
		if (opts.body !== undefined) {
			headers.set("Content-Type", "application/json");
			init.body = JSON.stringify(opts.body);
		}
		let res: Response;
		try {
			res = await doFetch(url, init);
		} catch (cause) {
			if ((cause as { name?: string })?.name === "AbortError") throw cause;
			throw new SaasdError({ status: 0, code: "network_error", message: `saasd: ${method.toUpperCase()} ${url} failed: ${String((cause as Error)?.message ?? cause)}`, cause });
		}
		if (!res.ok) {
			const err = await errorFromResponse(res);
			// the token we hold is dead: forget it (not one passed for this call)
			if (err.code === "invalid_session" && sent !== null && sent === token && session === undefined) setToken(null);
			throw err;
		}
		if (res.status === 204 || res.status === 205) return undefined;
		const text = await res.text();
		if (text === "") return undefined;
		let body: unknown;
		try {
			body = JSON.parse(text);
		} catch (cause) {
			throw new SaasdError({ status: res.status, code: "unexpected_response", message: `saasd answered ${res.status} with a body that is not JSON`, requestId: res.headers.get("x-request-id"), cause });
		}
		// login-like answers (register, login, refresh, ...) carry the new token
		if (template.startsWith("/auth/") && session === undefined) {
			const t = sessionTokenOf(body);
			if (t) setToken(t);
		}
		return body;
	}

	// the typed surface over the untyped call
	const request = ((method: HttpMethod, path: string, opts?: Record<string, unknown>) => call(method, path, opts)) as SaasdClient["request"];
	const r = call as (m: HttpMethod, p: string, o?: Record<string, unknown>) => Promise<any>;

	const client: SaasdClient = {
		request,
		get sessionToken() {
			return token;
		},
		setSessionToken: setToken,
		auth: {
			register: (body, o) => r("post", "/auth/register", { ...o, body }),
			login: (body, o) => r("post", "/auth/login", { ...o, body }),
			async logout(o) {
				try {
					await r("post", "/auth/logout", { ...o });
				} finally {
					if (o?.session === undefined) setToken(null);
				}
			},
			session: (o) => r("get", "/auth/session", { ...o }),
			sessions: (o) => r("get", "/auth/sessions", { ...o }),
			revokeSession: (id, o) => r("delete", "/auth/sessions/{id}", { ...o, path: { id } }),
			token: (body, o) => r("post", "/auth/token", { ...o, body }),
			refresh: (o) => r("post", "/auth/session/refresh", { ...o }),
		},
		users: {
			get: (id, o) => r("get", "/users/{id}", { ...o, path: { id } }),
			organizations: (userId, query, o) => r("get", "/users/{userId}/organizations", { ...o, path: { userId }, query }),
		},
		organizations: {
			create: (body, o) => r("post", "/organizations", { ...o, body }),
			get: (id, o) => r("get", "/organizations/{id}", { ...o, path: { id } }),
			update: (id, body, o) => r("patch", "/organizations/{id}", { ...o, path: { id }, body }),
			delete: (id, o) => r("delete", "/organizations/{id}", { ...o, path: { id } }),
			members: (id, query, o) => r("get", "/organizations/{id}/members", { ...o, path: { id }, query }),
			setRole: (id, userId, body, o) => r("patch", "/organizations/{id}/members/{userId}", { ...o, path: { id, userId }, body }),
			removeMember: (id, userId, o) => r("delete", "/organizations/{id}/members/{userId}", { ...o, path: { id, userId } }),
			permissions: (id, userId, o) => r("get", "/organizations/{id}/members/{userId}/permissions", { ...o, path: { id, userId } }),
			checkPermission: (id, body, o) => r("post", "/organizations/{id}/permissions/check", { ...o, path: { id }, body }),
			invite: (id, body, o) => r("post", "/organizations/{id}/invitations", { ...o, path: { id }, body }),
			entitlements: (id, o) => r("get", "/organizations/{id}/entitlements", { ...o, path: { id } }),
			recordUsage: (id, body, o) => r("post", "/organizations/{id}/usage", { ...o, path: { id }, body }),
			usage: (id, query, o) => r("get", "/organizations/{id}/usage", { ...o, path: { id }, query }),
		},
		invitations: {
			accept: (id, body, o) => r("post", "/invitations/{id}/accept", { ...o, path: { id }, body }),
			reject: (id, o) => r("post", "/invitations/{id}/reject", { ...o, path: { id } }),
		},
	};
	return client;
}
