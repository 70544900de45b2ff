// types.ts: compile-time checks of the client's typing (tsc, by
// test/typecheck.test.mjs): what the spec types must be required, what it
// does not know must be refused. Never run.
import { createClient, type AccessTokenClaims, type SaasdError } from "../src/index.js";
import { saasd, type SaasdEnv } from "../src/hono.js";
import type { Hono } from "hono";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(_: T) {}

export async function checks(app: Hono<SaasdEnv>) {
	const c = createClient({ baseUrl: "http://x", key: "sk_live_x" });

	const reg = await c.auth.register({ email: "a@b.c", password: "pass1234" });
	// absent when the call asked for a cookie session (session_cookie: true)
	assertType<Equal<typeof reg.session.token, string | undefined>>(true);
	// @ts-expect-error password is required by the spec
	await c.auth.register({ email: "a@b.c" });

	const tok = await c.auth.token({ organization_id: "org_1" });
	assertType<Equal<typeof tok.access_token, string>>(true);
	// @ts-expect-error unknown member
	await c.auth.token({ org: "org_1" });

	const chk = await c.request("post", "/organizations/{id}/permissions/check", { path: { id: "org_1" }, body: { user_id: "usr_1", permission: "org:read" } });
	assertType<Equal<typeof chk.allowed, boolean>>(true);
	// @ts-expect-error path parameters are required
	await c.request("post", "/organizations/{id}/permissions/check", { body: { user_id: "usr_1", permission: "org:read" } });
	// @ts-expect-error no such route
	await c.request("get", "/nope");
	// @ts-expect-error /auth/token has no GET
	await c.request("get", "/auth/token");

	const h = await c.request("get", "/health");
	assertType<Equal<typeof h.version, string>>(true);
	const none = await c.request("post", "/auth/logout");
	assertType<Equal<typeof none, undefined>>(true);
	// @ts-expect-error metric is a required query parameter
	await c.request("get", "/organizations/{id}/usage", { path: { id: "org_1" } });
	await c.organizations.usage("org_1", { metric: "api_calls" });

	app.use("/api/*", saasd({ jwksUrl: "http://x/.well-known/jwks.json", audience: "ten_1" }));
	app.get("/api/me", (ctx) => {
		const a = ctx.get("saasd");
		assertType<Equal<typeof a.user.id, string>>(true);
		assertType<Equal<typeof a.role, string | null>>(true);
		const claims: AccessTokenClaims = a.claims;
		return ctx.json({ id: a.user.id, org: claims.org?.id ?? null });
	});

	try {
		await c.auth.session();
	} catch (e) {
		const err = e as SaasdError;
		const code: string = err.code;
		const fields: Record<string, string> = err.fields;
		return [code, fields, err.requestId, err.status];
	}
	return null;
}
