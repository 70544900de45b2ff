// hono.test.mjs: the saasd() middleware in a Hono app driven by app.fetch:
// the context it sets from a verified token, the 401 envelope for missing,
// malformed, forged and expired tokens, 503 for an unreachable JWKS, the
// per-request options of a Worker, `optional`, and requirePermission.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Hono } from "hono";
import { clearJwksCache } from "../dist/index.js";
import { requirePermission, saasd } from "../dist/hono.js";
import { ISSUER, TENANT, claims, jwksServer, makeKey, sign } from "./helpers.mjs";

let key, srv, app;

before(async () => {
	key = await makeKey();
	srv = await jwksServer([key]);
	app = new Hono();
	app.use("/api/*", saasd({ jwksUrl: srv.url, audience: TENANT, issuer: ISSUER }));
	app.get("/api/me", (c) => {
		const a = c.get("saasd");
		return c.json({ user: a.user, org: a.org, role: a.role, permissions: a.permissions, entitlements: a.entitlements, tenantId: a.tenantId, canRead: a.can("billing:read"), sub: a.claims.sub, tokenLen: a.token.length });
	});
	app.post("/api/billing", requirePermission("billing:update"), (c) => c.json({ ok: true }));
	app.use("/env/*", saasd((c) => ({ jwksUrl: c.env.JWKS, audience: c.env.AUD })));
	app.get("/env/me", (c) => c.json({ sub: c.var.saasd.user.id }));
	app.use("/opt/*", saasd({ jwksUrl: srv.url, audience: TENANT, optional: true }));
	app.get("/opt/me", (c) => c.json({ sub: c.get("saasd")?.user.id ?? null }));
});
after(() => srv.close());

const get = (path, token, headers = {}, env) =>
	app.fetch(new Request(`http://w.test${path}`, { headers: token === undefined ? headers : { Authorization: `Bearer ${token}`, ...headers } }), env);

async function expect401(res, desc) {
	assert.equal(res.status, 401, desc);
	assert.match(res.headers.get("www-authenticate"), /^Bearer realm="saasd"/);
	assert.equal(res.headers.get("content-type"), "application/json");
	const body = await res.json();
	assert.equal(body.error.code, "invalid_token", desc);
	assert.equal(typeof body.error.message, "string");
	assert.match(body.error.request_id, /^req_[0-9a-f]{24}$/);
	assert.equal(res.headers.get("x-request-id"), body.error.request_id);
	return body;
}

describe("saasd() middleware", () => {
	test("puts user, org, role, permissions and entitlements on the context", async () => {
		const org = { id: "org_1", role: "admin", permissions: ["org:read", "billing:*"] };
		const res = await get("/api/me", await sign(key, claims({ org, ent: { tier: "pro", features: ["sso"] } })));
		assert.equal(res.status, 200);
		const b = await res.json();
		assert.deepEqual(b.user, { id: "usr_01user00000000000000000000", email: "ada@example.test", emailVerified: true, sessionId: "ses_01sess00000000000000000000", aal: 1, amr: ["pwd"] });
		assert.deepEqual(b.org, { id: "org_1" });
		assert.equal(b.role, "admin");
		assert.deepEqual(b.permissions, ["org:read", "billing:*"]);
		assert.deepEqual(b.entitlements, { tier: "pro", features: ["sso"] });
		assert.equal(b.tenantId, TENANT);
		assert.equal(b.canRead, true);
	});

	test("a token without an organization: no org, no role, no permissions", async () => {
		const b = await (await get("/api/me", await sign(key))).json();
		assert.equal(b.org, null);
		assert.equal(b.role, null);
		assert.deepEqual(b.permissions, []);
		assert.equal(b.entitlements, null);
		assert.equal(b.canRead, false);
	});

	test("401 in the error envelope: missing, not Bearer, malformed, forged, expired, other tenant", async () => {
		const other = await makeKey();
		const b0 = await expect401(await get("/api/me"), "missing");
		assert.match(b0.error.message, /required/);
		await expect401(await get("/api/me", undefined, { Authorization: "Basic eDp5" }), "basic");
		await expect401(await get("/api/me", undefined, { Authorization: "Bearer" }), "empty bearer");
		await expect401(await get("/api/me", "not-a-jwt"), "malformed");
		await expect401(await get("/api/me", await sign({ ...other, kid: key.kid })), "forged");
		const exp = await expect401(await get("/api/me", await sign(key, claims({ iat: 1000, exp: 1300 }))), "expired");
		assert.match(exp.error.message, /expired/);
		await expect401(await get("/api/me", await sign(key, claims({ aud: "ten_other" }))), "other tenant");
	});

	test("echoes a valid X-Request-Id", async () => {
		const res = await get("/api/me", undefined, { "X-Request-Id": "req_from_client" });
		assert.equal((await res.json()).error.request_id, "req_from_client");
	});

	test("options from the request context (Worker bindings)", async () => {
		const res = await get("/env/me", await sign(key), {}, { JWKS: srv.url, AUD: TENANT });
		assert.equal(res.status, 200);
		assert.deepEqual(await res.json(), { sub: "usr_01user00000000000000000000" });
		await expect401(await get("/env/me", await sign(key), {}, { JWKS: srv.url, AUD: "ten_other" }), "aud from env");
	});

	test("optional: no header goes on, a bad token is still 401", async () => {
		assert.deepEqual(await (await get("/opt/me")).json(), { sub: null });
		assert.deepEqual(await (await get("/opt/me", await sign(key))).json(), { sub: "usr_01user00000000000000000000" });
		await expect401(await get("/opt/me", "x.y.z"), "optional, bad");
	});

	test("503 unavailable when the JWKS cannot be had", async () => {
		clearJwksCache();
		const a = new Hono();
		a.use("*", saasd({ jwksUrl: "http://127.0.0.1:9/.well-known/jwks.json", audience: TENANT }));
		a.get("/", (c) => c.text("no"));
		const res = await a.fetch(new Request("http://w.test/", { headers: { Authorization: `Bearer ${await sign(key)}` } }));
		assert.equal(res.status, 503);
		assert.equal((await res.json()).error.code, "unavailable");
	});

	test("requirePermission: 403 forbidden without it, through with it", async () => {
		const post = async (perms) => {
			const t = await sign(key, claims({ org: { id: "org_1", role: "r", permissions: perms } }));
			return app.fetch(new Request("http://w.test/api/billing", { method: "POST", headers: { Authorization: `Bearer ${t}` } }));
		};
		const no = await post(["billing:read"]);
		assert.equal(no.status, 403);
		assert.equal((await no.json()).error.code, "forbidden");
		assert.equal((await post(["billing:*"])).status, 200);
		assert.equal((await post(["*"])).status, 200);
	});

	test("needs jwksUrl and audience", () => {
		assert.throws(() => saasd({ audience: TENANT }), TypeError);
		assert.throws(() => saasd({ jwksUrl: srv.url }), TypeError);
	});
});
