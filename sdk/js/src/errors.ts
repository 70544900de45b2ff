// errors.ts: the errors the SDK throws. Every non-2xx answer of saasd
// becomes a SaasdError carrying the API.md envelope's fields; a failed
// verification of an access token becomes an AccessTokenError.
import type { components } from "./schema.js";

/** The `code` values saasd documents; other strings may appear (newer servers). */
export type SaasdErrorCode =
	| components["schemas"]["ErrorCode"]
	| "network_error"
	| "unexpected_response"
	| (string & {});

/** The error envelope of API.md: `{"error": {"code", "message", "request_id", "fields"?}}`. */
export interface ErrorEnvelope {
	error: {
		code: SaasdErrorCode;
		message: string;
		request_id?: string;
		fields?: Record<string, string>;
		[extra: string]: unknown;
	};
}

/**
 * A call saasd refused (or that never got an answer: status 0, code
 * `network_error`). `fields` names the invalid members for
 * `validation_failed`; `details` holds the envelope's other members
 * (`limit`, `used`, `metric` with `quota_exceeded`, `mfa_token` and
 * `factors` with `mfa_required`); `retryAfter` is `Retry-After` in seconds.
 */
export class SaasdError extends Error {
	readonly status: number;
	readonly code: SaasdErrorCode;
	readonly fields: Record<string, string>;
	readonly requestId: string | null;
	readonly retryAfter: number | null;
	readonly details: Record<string, unknown>;

	constructor(init: {
		status: number;
		code: SaasdErrorCode;
		message: string;
		fields?: Record<string, string>;
		requestId?: string | null;
		retryAfter?: number | null;
		details?: Record<string, unknown>;
		cause?: unknown;
	}) {
		super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
		this.name = "SaasdError";
		this.status = init.status;
		this.code = init.code;
		this.fields = init.fields ?? {};
		this.requestId = init.requestId ?? null;
		this.retryAfter = init.retryAfter ?? null;
		this.details = init.details ?? {};
	}
}

/** Why an access token was refused. */
export type AccessTokenErrorCode =
	/** no token, or not a compact JWS */
	| "missing_token"
	/** bad signature, unknown kid, wrong alg/typ/iss/aud, malformed claims */
	| "invalid_token"
	/** `exp` has passed (or `nbf`/`iat` is in the future) */
	| "token_expired"
	/** the JWKS could not be fetched or parsed */
	| "jwks_unavailable";

export class AccessTokenError extends Error {
	readonly code: AccessTokenErrorCode;
	/** jose's error code (`ERR_JWT_EXPIRED`, `ERR_JWKS_NO_MATCHING_KEY`, ...), if any */
	readonly reason: string | null;

	constructor(code: AccessTokenErrorCode, message: string, reason?: string | null, cause?: unknown) {
		super(message, cause === undefined ? undefined : { cause });
		this.name = "AccessTokenError";
		this.code = code;
		this.reason = reason ?? null;
	}
}
