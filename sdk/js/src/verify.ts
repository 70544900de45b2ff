// verify.ts: offline verification of saasd access tokens (POST /auth/token)
// with jose: EdDSA (Ed25519) only, typ JWT, issuer and audience checked,
// keys from saasd's JWKS. One remote key set per JWKS URL is kept at module
// level, so a process (or a Worker isolate) fetches the JWKS once and then
// verifies without network; an unknown kid (a rotation) refetches it, at
// most once per cooldown (jose's createRemoteJWKSet).
import {
	createRemoteJWKSet,
	customFetch,
	errors,
	jwtVerify,
	type JWTPayload,
	type JWTVerifyGetKey,
	type JWTVerifyOptions,
} from "jose";
import { AccessTokenError } from "./errors.js";

/** The organization claim: present when the token was made with `organization_id`. */
export interface OrgClaim {
	id: string;
	role: string;
	permissions: string[];
}

/** The entitlements claim: the organization's tier and features. */
export interface EntitlementsClaim {
	tier: string | null;
	features: string[];
}

/** The claims of a saasd access token (API.md "Access tokens"). */
export interface AccessTokenClaims extends JWTPayload {
	/** PUBLIC_URL of the saasd that signed it */
	iss: string;
	/** the tenant id (`ten_...`) */
	aud: string;
	/** the user id (`usr_...`) */
	sub: string;
	/** the session id (`ses_...`) */
	sid: string;
	iat: number;
	exp: number;
	/** authenticator assurance level: 2 after MFA */
	aal: number;
	/** how the user signed in: `pwd`, `otp`, `totp`, `webauthn`, `oauth`, `email` */
	amr: string[];
	email: string;
	email_verified: boolean;
	org?: OrgClaim;
	ent?: EntitlementsClaim;
}

export interface VerifyOptions {
	/** saasd's `/.well-known/jwks.json` (`jwks_uri` of its openid-configuration) */
	jwksUrl: string | URL;
	/** the tenant id the token must be for (one, or any of several) */
	audience: string | string[];
	/** saasd's PUBLIC_URL; checked when given (recommended) */
	issuer?: string | string[];
	/** seconds (or a jose duration string) of clock skew to allow; default 0 */
	clockTolerance?: number | string;
	/** the time to verify at (tests); default now */
	currentDate?: Date;
	/** a key set to use instead of the cached remote one (tests, pinned keys) */
	keys?: JWTVerifyGetKey;
	/** the fetch the remote key set uses (applies when the set for this URL is first made) */
	fetch?: typeof fetch;
	/** jose's remote key set settings (apply when the set for this URL is first made) */
	jwks?: JwksOptions;
	/**
	 * Remember verified tokens (default true): a token seen before, byte for
	 * byte, under the same JWKS URL, is not checked for its signature again,
	 * only for exp/nbf, audience and issuer. See verifiedCacheSize.
	 */
	cache?: boolean;
}

/**
 * How the cached key set behaves (jose createRemoteJWKSet): it is refetched
 * when older than `cacheMaxAge` (ms, default 600 000), and at most once per
 * `cooldownDuration` (ms, default 30 000) when a token names an unknown kid
 * (a key rotation); a fetch times out after `timeoutDuration` (ms, 5 000).
 */
export interface JwksOptions {
	cacheMaxAge?: number;
	cooldownDuration?: number;
	timeoutDuration?: number;
}

type RemoteSet = ReturnType<typeof createRemoteJWKSet>;
const remoteSets = new Map<string, RemoteSet>();

/**
 * The remote key set of a JWKS URL, made once per URL per process and then
 * reused by every verification (the JWKS cache). `fetch` applies only when
 * the set is made.
 */
export function jwksFor(url: string | URL, fetchImpl?: typeof fetch, settings?: JwksOptions): RemoteSet {
	const href = new URL(String(url)).href;
	let set = remoteSets.get(href);
	if (!set) {
		const opts: Record<PropertyKey, unknown> = {};
		if (fetchImpl) opts[customFetch] = fetchImpl;
		if (settings?.cacheMaxAge !== undefined) opts.cacheMaxAge = settings.cacheMaxAge;
		if (settings?.cooldownDuration !== undefined) opts.cooldownDuration = settings.cooldownDuration;
		if (settings?.timeoutDuration !== undefined) opts.timeoutDuration = settings.timeoutDuration;
		set = createRemoteJWKSet(new URL(href), opts);
		remoteSets.set(href, set);
	}
	return set;
}

/** Forgets the cached key sets and verified tokens (tests; or to force a refetch). */
export function clearJwksCache(): void {
	remoteSets.clear();
	verified.clear();
}

// Verified tokens: "jwksUrl \n token" -> frozen claims. A client sends one
// access token with every call of its lifetime (ACCESS_TOKEN_TTL, 300 s), so
// at the edge most verifications repeat one already done; the key is the
// whole compact JWS, signature included, so only the exact bytes that
// verified can hit. Bounded: the oldest entry goes first.
const verified = new Map<string, AccessTokenClaims>();
let verifiedMax = 10_000;

/** The verified-token cache's size limit (default 10 000; 0 turns it off). */
export function verifiedCacheSize(max?: number): number {
	if (max !== undefined) {
		if (!Number.isInteger(max) || max < 0) throw new TypeError("saasd: verifiedCacheSize needs an integer >= 0");
		verifiedMax = max;
		while (verified.size > verifiedMax) verified.delete(verified.keys().next().value as string);
	}
	return verifiedMax;
}

function deepFreeze<T>(o: T): T {
	if (o && typeof o === "object" && !Object.isFrozen(o)) {
		Object.freeze(o);
		for (const v of Object.values(o as object)) deepFreeze(v);
	}
	return o;
}

function matchesOne(v: unknown, want: string | string[]): boolean {
	return Array.isArray(want) ? want.includes(v as string) : v === want;
}

// the claim checks jwtVerify made, for a token whose signature verified before
function recheck(c: AccessTokenClaims, options: VerifyOptions): void {
	const tol = typeof options.clockTolerance === "number" ? options.clockTolerance : 0;
	const now = Math.floor((options.currentDate ?? new Date()).getTime() / 1000);
	if (c.exp <= now - tol) throw new AccessTokenError("token_expired", "access token expired", errors.JWTExpired.code);
	if (typeof c.nbf === "number" && c.nbf > now + tol)
		throw new AccessTokenError("token_expired", "access token not yet valid", errors.JWTClaimValidationFailed.code);
	if (!matchesOne(c.aud, options.audience))
		throw new AccessTokenError("invalid_token", 'access token claim check failed: unexpected "aud" claim value', errors.JWTClaimValidationFailed.code);
	if (options.issuer !== undefined && !matchesOne(c.iss, options.issuer))
		throw new AccessTokenError("invalid_token", 'access token claim check failed: unexpected "iss" claim value', errors.JWTClaimValidationFailed.code);
}

// marks errors of the key lookup that are not about the token itself
class KeySetFailure extends Error {
	constructor(readonly original: unknown) {
		super("JWKS unavailable");
	}
}

const TOKEN_ERRORS = new Set([
	errors.JWKSNoMatchingKey.code,
	errors.JWKSMultipleMatchingKeys.code,
	errors.JOSEAlgNotAllowed.code,
	errors.JWSInvalid.code,
	errors.JWTInvalid.code,
	errors.JOSENotSupported.code,
]);

function isString(v: unknown): v is string {
	return typeof v === "string" && v !== "";
}

function checkShape(p: JWTPayload): asserts p is AccessTokenClaims {
	const bad = (what: string) => {
		throw new AccessTokenError("invalid_token", `access token claim ${what} is missing or malformed`);
	};
	if (!isString(p.sub)) bad("sub");
	if (!isString(p.aud)) bad("aud");
	if (typeof p.exp !== "number") bad("exp");
	if (typeof p.iat !== "number") bad("iat");
	const q = p as Record<string, unknown>;
	if (!isString(q.sid)) bad("sid");
	if (typeof q.aal !== "number") bad("aal");
	if (!Array.isArray(q.amr)) bad("amr");
	if (q.org !== undefined) {
		const o = q.org as Record<string, unknown> | null;
		if (!o || !isString(o.id) || !isString(o.role) || !Array.isArray(o.permissions)) bad("org");
	}
	if (q.ent !== undefined) {
		const e = q.ent as Record<string, unknown> | null;
		if (!e || !Array.isArray(e.features)) bad("ent");
	}
}

function translate(e: unknown): AccessTokenError {
	if (e instanceof AccessTokenError) return e;
	if (e instanceof KeySetFailure) {
		const o = e.original as { code?: string; message?: string } | undefined;
		return new AccessTokenError("jwks_unavailable", `the JWKS could not be loaded: ${o?.message ?? String(o)}`, o?.code ?? null, e.original);
	}
	const code = (e as { code?: string })?.code;
	const msg = (e as Error)?.message ?? String(e);
	if (code === errors.JWTExpired.code) return new AccessTokenError("token_expired", "access token expired", code, e);
	if (code === errors.JWTClaimValidationFailed.code) {
		const claim = (e as errors.JWTClaimValidationFailed).claim;
		if (claim === "nbf") return new AccessTokenError("token_expired", "access token not yet valid", code, e);
		return new AccessTokenError("invalid_token", `access token claim check failed: ${msg}`, code, e);
	}
	if (code === errors.JWSSignatureVerificationFailed.code || (code && TOKEN_ERRORS.has(code)))
		return new AccessTokenError("invalid_token", `access token refused: ${msg}`, code, e);
	return new AccessTokenError("invalid_token", `access token refused: ${msg}`, code ?? null, e);
}

/**
 * Verifies a saasd access token offline and returns its claims. Throws
 * AccessTokenError: `missing_token`, `invalid_token`, `token_expired` or
 * `jwks_unavailable`.
 */
export async function verifyAccessToken(token: string | null | undefined, options: VerifyOptions): Promise<AccessTokenClaims> {
	if (!options || (!options.jwksUrl && !options.keys)) throw new TypeError("saasd: verifyAccessToken needs jwksUrl");
	if (options.audience === undefined || options.audience === "" || (Array.isArray(options.audience) && options.audience.length === 0))
		throw new TypeError("saasd: verifyAccessToken needs audience (the tenant id)");
	if (typeof token !== "string" || token === "") throw new AccessTokenError("missing_token", "no access token");
	if (token.split(".").length !== 3) throw new AccessTokenError("missing_token", "not a compact JWS");
	// the cache needs a key set named by URL and a tolerance in seconds
	const cacheKey =
		options.cache !== false && verifiedMax > 0 && !options.keys && typeof options.clockTolerance !== "string"
			? `${String(options.jwksUrl)}\n${token}`
			: null;
	if (cacheKey !== null) {
		const hit = verified.get(cacheKey);
		if (hit) {
			try {
				recheck(hit, options);
			} catch (e) {
				if ((e as AccessTokenError).code === "token_expired" && options.currentDate === undefined) verified.delete(cacheKey);
				throw e;
			}
			return hit;
		}
	}
	const set = options.keys ?? jwksFor(options.jwksUrl, options.fetch, options.jwks);
	const getKey: JWTVerifyGetKey = async (header, tok) => {
		try {
			return await set(header, tok);
		} catch (e) {
			const code = (e as { code?: string })?.code;
			if (code && TOKEN_ERRORS.has(code)) throw e;
			throw new KeySetFailure(e);
		}
	};
	const vopts: JWTVerifyOptions = {
		algorithms: ["EdDSA"],
		typ: "JWT",
		audience: options.audience,
		requiredClaims: ["sub", "exp", "iat"],
	};
	if (options.issuer !== undefined) vopts.issuer = options.issuer;
	if (options.clockTolerance !== undefined) vopts.clockTolerance = options.clockTolerance;
	if (options.currentDate !== undefined) vopts.currentDate = options.currentDate;
	try {
		const { payload } = await jwtVerify(token, getKey, vopts);
		checkShape(payload);
		if (cacheKey === null) return payload;
		const claims = deepFreeze(payload);
		if (verified.size >= verifiedMax) verified.delete(verified.keys().next().value as string);
		verified.set(cacheKey, claims);
		return claims;
	} catch (e) {
		throw translate(e);
	}
}

/**
 * The permission rule of API.md: `*` grants everything; `billing:*` grants
 * `billing:read` and `billing:invoices:read`; anything else must match exactly.
 */
export function permissionMatches(granted: string, wanted: string): boolean {
	if (granted === "*") return true;
	if (granted.length >= 2 && granted.endsWith(":*")) {
		const prefix = granted.slice(0, -1); // "billing:" — strictly under it
		return wanted.length > prefix.length && wanted.startsWith(prefix);
	}
	return granted === wanted;
}

/** Whether a list of granted permissions (e.g. the `org.permissions` claim) grants `wanted`. */
export function hasPermission(granted: readonly string[] | null | undefined, wanted: string): boolean {
	return !!granted && granted.some((g) => permissionMatches(g, wanted));
}
