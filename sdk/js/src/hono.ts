// hono.ts: `saasd()`, a Hono middleware that verifies the saasd access token
// of `Authorization: Bearer <jwt>` offline (verifyAccessToken: JWKS cached
// per URL) and puts the user, organization, role, permissions and
// entitlements on the context as `c.get("saasd")`. A missing or refused
// token is a 401 in saasd's error envelope (API.md), with
// `WWW-Authenticate: Bearer` (RFC 6750); an unreachable JWKS is 503.
// Only types come from hono: the middleware runs on any Hono 4.
import type { Context, MiddlewareHandler } from "hono";
import type { AccessTokenErrorCode } from "./errors.js";
import { AccessTokenError } from "./errors.js";
import { hasPermission, verifyAccessToken, type AccessTokenClaims, type EntitlementsClaim, type VerifyOptions } from "./verify.js";

/** What the middleware puts on the context (`c.get("saasd")`, `c.var.saasd`). */
export interface SaasdAuth {
	user: {
		id: string;
		email: string;
		emailVerified: boolean;
		sessionId: string;
		/** 2 after MFA */
		aal: number;
		amr: string[];
	};
	/** the organization the token was made for (`organization_id` of POST /auth/token) */
	org: { id: string } | null;
	role: string | null;
	permissions: string[];
	entitlements: EntitlementsClaim | null;
	/** the tenant id (`aud`) */
	tenantId: string;
	/** the verified claims as signed */
	claims: AccessTokenClaims;
	/** the raw token (to forward, e.g. to another service) */
	token: string;
	/** `*`, `billing:*` and exact permissions, as saasd matches them */
	can(permission: string): boolean;
}

/** The Variables the middleware adds: `new Hono<{ Variables: SaasdVariables }>()`. */
export type SaasdVariables = { saasd: SaasdAuth };

export type SaasdEnv = { Variables: SaasdVariables };

export interface SaasdMiddlewareOptions extends Omit<VerifyOptions, "currentDate"> {
	/** the time to verify at (tests); default now */
	currentDate?: Date;
	/**
	 * With `true`, a request without an Authorization header goes on with no
	 * `saasd` variable (a refused token is still 401).
	 */
	optional?: boolean;
}

/**
 * The options, or a function of the request's context that returns them:
 * on Workers the bindings are only known per request (`(c) => ({jwksUrl:
 * c.env.SAASD_JWKS_URL, audience: c.env.SAASD_TENANT_ID})`).
 */
export type SaasdMiddlewareConfig = SaasdMiddlewareOptions | ((c: Context) => SaasdMiddlewareOptions | Promise<SaasdMiddlewareOptions>);

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

function requestId(c: Context): string {
	const given = c.req.header("x-request-id");
	if (given && REQUEST_ID.test(given)) return given;
	const bytes = new Uint8Array(12);
	crypto.getRandomValues(bytes);
	let hex = "";
	for (const b of bytes) hex += b.toString(16).padStart(2, "0");
	return `req_${hex}`;
}

/** An answer in saasd's error envelope. */
export function errorResponse(c: Context, status: number, code: string, message: string, headers?: Record<string, string>): Response {
	const id = requestId(c);
	const body = JSON.stringify({ error: { code, message, request_id: id } });
	const h = new Headers(headers);
	h.set("Content-Type", "application/json");
	h.set("Cache-Control", "no-store");
	h.set("X-Request-Id", id);
	return new Response(body, { status, headers: h });
}

const MESSAGES: Record<AccessTokenErrorCode, string> = {
	missing_token: "an access token is required (Authorization: Bearer <token>)",
	invalid_token: "the access token is invalid",
	token_expired: "the access token has expired",
	jwks_unavailable: "the token signing keys are unavailable",
};

function refuse(c: Context, code: AccessTokenErrorCode): Response {
	if (code === "jwks_unavailable") return errorResponse(c, 503, "unavailable", MESSAGES[code], { "Retry-After": "1" });
	const www = code === "missing_token" ? 'Bearer realm="saasd"' : `Bearer realm="saasd", error="invalid_token", error_description="${MESSAGES[code]}"`;
	return errorResponse(c, 401, "invalid_token", MESSAGES[code], { "WWW-Authenticate": www });
}

/** The context variable from verified claims. */
export function authFromClaims(claims: AccessTokenClaims, token: string): SaasdAuth {
	const permissions = claims.org ? [...claims.org.permissions] : [];
	return {
		user: {
			id: claims.sub,
			email: claims.email,
			emailVerified: claims.email_verified === true,
			sessionId: claims.sid,
			aal: claims.aal,
			amr: claims.amr,
		},
		org: claims.org ? { id: claims.org.id } : null,
		role: claims.org ? claims.org.role : null,
		permissions,
		entitlements: claims.ent ? { tier: claims.ent.tier ?? null, features: [...claims.ent.features] } : null,
		tenantId: claims.aud,
		claims,
		token,
		can: (permission: string) => hasPermission(permissions, permission),
	};
}

function bearer(header: string | undefined): string | null | undefined {
	if (header === undefined) return undefined;
	const m = /^Bearer[ \t]+([^ \t]+)[ \t]*$/i.exec(header);
	return m ? m[1] : null;
}

/** The middleware: `app.use("/api/*", saasd({jwksUrl, audience, issuer}))`. */
export function saasd(config: SaasdMiddlewareConfig): MiddlewareHandler<SaasdEnv> {
	if (typeof config !== "function" && (!config || !config.jwksUrl || !config.audience))
		throw new TypeError("saasd(): jwksUrl and audience are required");
	return async (c, next) => {
		const opts = typeof config === "function" ? await config(c as unknown as Context) : config;
		const header = c.req.header("authorization");
		const token = bearer(header);
		if (token === undefined && opts.optional) return next();
		if (!token) return refuse(c as unknown as Context, "missing_token");
		let claims: AccessTokenClaims;
		try {
			claims = await verifyAccessToken(token, opts);
		} catch (e) {
			if (e instanceof AccessTokenError) return refuse(c as unknown as Context, e.code);
			throw e;
		}
		c.set("saasd", authFromClaims(claims, token));
		await next();
	};
}

/**
 * After saasd(): 403 `forbidden` unless the token's organization role grants
 * `permission` (saasd's matching rule). A token without an organization
 * grants nothing.
 */
export function requirePermission(permission: string): MiddlewareHandler<SaasdEnv> {
	return async (c, next) => {
		const auth = c.get("saasd");
		if (!auth) return refuse(c as unknown as Context, "missing_token");
		if (!auth.can(permission))
			return errorResponse(c as unknown as Context, 403, "forbidden", `the permission ${permission} is required`);
		await next();
	};
}
