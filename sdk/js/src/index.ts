// @saasd/sdk: the saasd client, offline access-token verification and the
// error types. ES modules and Web APIs only (fetch, URL, crypto.subtle via
// jose): runs in Node 20+, browsers, Cloudflare Workers (workerd), Deno.
// The Hono middleware is in "@saasd/sdk/hono".
export {
	createClient,
	buildPath,
	errorFromResponse,
	type ClientOptions,
	type SaasdClient,
	type CallOptions,
	type RequestOptions,
	type HttpMethod,
	type PathsWith,
	type Operation,
	type SuccessBody,
	type AuthResult,
	type AccessTokenResponse,
} from "./client.js";
export {
	verifyAccessToken,
	jwksFor,
	clearJwksCache,
	verifiedCacheSize,
	hasPermission,
	permissionMatches,
	type AccessTokenClaims,
	type OrgClaim,
	type EntitlementsClaim,
	type VerifyOptions,
	type JwksOptions,
} from "./verify.js";
export { SaasdError, AccessTokenError, type SaasdErrorCode, type AccessTokenErrorCode, type ErrorEnvelope } from "./errors.js";
export type { paths, components, operations } from "./schema.js";
