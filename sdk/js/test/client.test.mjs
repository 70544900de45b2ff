// client.test.mjs: createClient against a fetch stub: URLs, headers and
// bodies it builds, the session token it keeps and forgets, and how saasd's
// error envelope becomes a SaasdError.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SaasdError, buildPath, createClient } from "../dist/index.js";

/** A fetch that records requests and answers from a queue. */
function stub(...answers) {
	const calls = [];
	const f = async (url, init) => {
		const req = new Request(url, init);
		calls.push({ url: req.url, method: req.method, headers: req.headers, body: init?.body === undefined ? undefined : JSON.parse(init.body) });
		const a = answers.shift() ?? { status: 200, body: {} };
		if (a.throw) throw a.throw;
		const headers = { "X-Request-Id": "req_hdr", ...(a.headers ?? {}) };
		if (a.body !== undefined && typeof a.body !== "string") headers["Content-Type"] = "application/json";
		const body = a.body === undefined ? null : typeof a.body === "string" ? a.body : JSON.stringify(a.body);
		return new Response(body, { status: a.status ?? 200, headers });
	};
	return { f, calls };
}

const login = (token) => ({ status: 200, body: { user: { id: "usr_1", email: "a@b.c" }, session: { id: "ses_1", token, expires_at: "2027-01-01T00:00:00Z" } } });
const envelope = (status, code, extra = {}) => ({ status, body: { error: { code, message: `m ${code}`, request_id: "req_body", ...extra } } });

describe("createClient", () => {
	test("key, JSON body and no session at first", async () => {
		const s = stub({ status: 201, body: { id: "org_1" } });
		const c = createClient({ baseUrl: "http://saasd.test/", key: "sk_live_abc", fetch: s.f });
		const org = await c.organizations.create({ name: "Acme", owner_id: "usr_1" });
		assert.deepEqual(org, { id: "org_1" });
		const [r] = s.calls;
		assert.equal(r.url, "http://saasd.test/organizations");
		assert.equal(r.method, "POST");
		assert.equal(r.headers.get("authorization"), "Bearer sk_live_abc");
		assert.equal(r.headers.get("content-type"), "application/json");
		assert.equal(r.headers.get("x-session-token"), null);
		assert.deepEqual(r.body, { name: "Acme", owner_id: "usr_1" });
	});

	test("keeps the token of login, sends it, replaces it on refresh, forgets it on logout", async () => {
		const seen = [];
		const s = stub(login("tok_1"), { status: 200, body: { user: {}, session: {} } }, login("tok_2"), { status: 200, body: { access_token: "a.b.c", token_type: "Bearer", expires_in: 300 } }, { status: 204 });
		const c = createClient({ baseUrl: "http://saasd.test", key: "pk_live_x", fetch: s.f, onSessionToken: (t) => seen.push(t) });
		await c.auth.login({ email: "a@b.c", password: "pass1234" });
		assert.equal(c.sessionToken, "tok_1");
		assert.equal(s.calls[0].headers.get("x-session-token"), null);
		await c.auth.session();
		assert.equal(s.calls[1].headers.get("x-session-token"), "tok_1");
		await c.auth.refresh();
		assert.equal(s.calls[2].url, "http://saasd.test/auth/session/refresh");
		assert.equal(c.sessionToken, "tok_2");
		const t = await c.auth.token({ organization_id: "org_1" });
		assert.equal(t.access_token, "a.b.c");
		assert.equal(s.calls[3].headers.get("x-session-token"), "tok_2");
		assert.deepEqual(s.calls[3].body, { organization_id: "org_1" });
		assert.equal(await c.auth.logout(), undefined);
		assert.equal(c.sessionToken, null);
		assert.deepEqual(seen, ["tok_1", "tok_2", null]);
	});

	test("a per-call session overrides, and false sends none; neither touches the stored token", async () => {
		const s = stub({ body: {} }, { body: {} }, login("tok_new"), envelope(401, "invalid_session"));
		const c = createClient({ baseUrl: "http://saasd.test", key: "sk_live_x", sessionToken: "tok_mine", fetch: s.f });
		await c.auth.session({ session: "tok_other" });
		assert.equal(s.calls[0].headers.get("x-session-token"), "tok_other");
		await c.users.get("usr_1", { session: false });
		assert.equal(s.calls[1].headers.get("x-session-token"), null);
		await c.auth.login({ email: "a@b.c", password: "pass1234" }, { session: false });
		assert.equal(c.sessionToken, "tok_mine");
		await assert.rejects(c.auth.session({ session: "tok_other" }), { code: "invalid_session" });
		assert.equal(c.sessionToken, "tok_mine");
	});

	test("401 invalid_session for the stored token forgets it", async () => {
		const s = stub(envelope(401, "invalid_session"));
		const c = createClient({ baseUrl: "http://saasd.test", key: "sk_live_x", sessionToken: "tok_dead", fetch: s.f });
		await assert.rejects(c.auth.session(), SaasdError);
		assert.equal(c.sessionToken, null);
	});

	test("path parameters are encoded, query strings built, undefined dropped", async () => {
		const s = stub({ body: {} }, { body: {} }, { body: {} });
		const c = createClient({ baseUrl: "http://saasd.test", key: "sk_live_x", fetch: s.f });
		await c.organizations.checkPermission("org_1/../x", { user_id: "usr_1", permission: "org:read" });
		assert.equal(s.calls[0].url, "http://saasd.test/organizations/org_1%2F..%2Fx/permissions/check");
		await c.organizations.usage("org_1", { metric: "api_calls", from: "2026-01-01T00:00:00Z", to: undefined });
		assert.equal(s.calls[1].url, "http://saasd.test/organizations/org_1/usage?metric=api_calls&from=2026-01-01T00%3A00%3A00Z");
		await c.request("get", "/organizations/{id}/members/{userId}/permissions", { path: { id: "org_1", userId: "usr_2" }, headers: { "X-Request-Id": "req_mine" } });
		assert.equal(s.calls[2].url, "http://saasd.test/organizations/org_1/members/usr_2/permissions");
		assert.equal(s.calls[2].headers.get("x-request-id"), "req_mine");
		assert.throws(() => buildPath("/organizations/{id}", {}), TypeError);
		await assert.rejects(c.request("get", "/organizations/{id}", { path: {} }), TypeError);
	});

	test("no body, no Content-Type", async () => {
		const s = stub({ body: {} });
		const c = createClient({ baseUrl: "http://saasd.test", key: "sk_live_x", fetch: s.f, headers: { "X-Client": "t" } });
		await c.auth.token();
		assert.equal(s.calls[0].headers.get("content-type"), null);
		assert.equal(s.calls[0].body, undefined);
		assert.equal(s.calls[0].headers.get("x-client"), "t");
	});

	test("errors carry status, code, message, fields, request id and details", async () => {
		const s = stub(
			envelope(400, "validation_failed", { fields: { email: "invalid_format" } }),
			envelope(402, "quota_exceeded", { limit: 10, used: 10, metric: "api_calls" }),
			{ ...envelope(429, "rate_limited"), headers: { "Retry-After": "7" } },
			{ status: 502, body: "<html>bad gateway</html>" },
			{ status: 200, body: "not json" },
			{ throw: new TypeError("connect ECONNREFUSED") },
		);
		const c = createClient({ baseUrl: "http://saasd.test", key: "sk_live_x", fetch: s.f });
		const e1 = await c.auth.register({ email: "x", password: "pass1234" }).catch((e) => e);
		assert.ok(e1 instanceof SaasdError && e1 instanceof Error);
		assert.equal(e1.status, 400);
		assert.equal(e1.code, "validation_failed");
		assert.equal(e1.message, "m validation_failed");
		assert.deepEqual(e1.fields, { email: "invalid_format" });
		assert.equal(e1.requestId, "req_body");
		const e2 = await c.organizations.recordUsage("org_1", { metric: "api_calls" }).catch((e) => e);
		assert.equal(e2.code, "quota_exceeded");
		assert.deepEqual(e2.details, { limit: 10, used: 10, metric: "api_calls" });
		assert.deepEqual(e2.fields, {});
		const e3 = await c.auth.session().catch((e) => e);
		assert.equal(e3.retryAfter, 7);
		const e4 = await c.auth.session().catch((e) => e);
		assert.equal(e4.status, 502);
		assert.equal(e4.code, "unexpected_response");
		assert.equal(e4.requestId, "req_hdr");
		const e5 = await c.auth.session().catch((e) => e);
		assert.equal(e5.code, "unexpected_response");
		const e6 = await c.auth.session().catch((e) => e);
		assert.equal(e6.status, 0);
		assert.equal(e6.code, "network_error");
		assert.ok(e6.cause instanceof TypeError);
	});

	test("an abort is passed through as it is", async () => {
		const c = createClient({ baseUrl: "http://saasd.test", key: "sk_live_x", fetch: async (u, init) => fetch(u, init) });
		const ac = new AbortController();
		ac.abort();
		await assert.rejects(c.auth.session({ signal: ac.signal }), { name: "AbortError" });
	});

	test("needs baseUrl and key", () => {
		assert.throws(() => createClient({ key: "sk_live_x" }), TypeError);
		assert.throws(() => createClient({ baseUrl: "http://x" }), TypeError);
	});

	test("uses globalThis.fetch at call time by default", async () => {
		const s = stub({ body: { ok: 1 } });
		const saved = globalThis.fetch;
		globalThis.fetch = s.f;
		try {
			const c = createClient({ baseUrl: "http://saasd.test", key: "sk_live_x" });
			assert.deepEqual(await c.request("get", "/tenant"), { ok: 1 });
		} finally {
			globalThis.fetch = saved;
		}
	});
});
