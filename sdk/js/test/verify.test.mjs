// verify.test.mjs: verifyAccessToken against a local JWKS server with
// Ed25519 keys made by jose: valid, expired, wrong audience and issuer,
// unknown kid, other algorithms, forged signature, the JWKS cache (one
// fetch for many verifications), a rotation (unknown kid refetches), an
// unreachable JWKS, and the permission rule.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { AccessTokenError, clearJwksCache, hasPermission, verifiedCacheSize, verifyAccessToken } from "../dist/index.js";
import { ISSUER, TENANT, b64url, claims, jwksServer, makeKey, sign } from "./helpers.mjs";

let key, srv, opts;

before(async () => {
	key = await makeKey();
	srv = await jwksServer([key]);
	opts = { jwksUrl: srv.url, audience: TENANT, issuer: ISSUER };
});
after(() => srv.close());

async function refused(tokenP, code, reason) {
	const token = await tokenP;
	await assert.rejects(verifyAccessToken(token, opts), (e) => {
		assert.ok(e instanceof AccessTokenError, e);
		assert.equal(e.code, code, e.message);
		if (reason) assert.equal(e.reason, reason);
		return true;
	});
}

describe("verifyAccessToken", () => {
	test("a valid token returns its claims", async () => {
		const org = { id: "org_1", role: "admin", permissions: ["org:read", "billing:*"] };
		const ent = { tier: "pro", features: ["sso"] };
		const c = await verifyAccessToken(await sign(key, claims({ org, ent })), opts);
		assert.equal(c.sub, "usr_01user00000000000000000000");
		assert.equal(c.aud, TENANT);
		assert.equal(c.iss, ISSUER);
		assert.deepEqual(c.org, org);
		assert.deepEqual(c.ent, ent);
		assert.deepEqual(c.amr, ["pwd"]);
	});

	test("audience may be a list; issuer is optional", async () => {
		const t = await sign(key);
		await verifyAccessToken(t, { jwksUrl: srv.url, audience: ["ten_other", TENANT] });
	});

	test("expired", () => refused(sign(key, claims({ iat: 1000, exp: 1300 })), "token_expired", "ERR_JWT_EXPIRED"));

	test("expired, but within clockTolerance", async () => {
		const now = Math.floor(Date.now() / 1000);
		const t = await sign(key, claims({ iat: now - 310, exp: now - 10 }));
		await verifyAccessToken(t, { ...opts, clockTolerance: 30 });
	});

	test("currentDate moves the verifier's clock", async () => {
		const t = await sign(key);
		await assert.rejects(verifyAccessToken(t, { ...opts, currentDate: new Date(Date.now() + 301_000) }), { code: "token_expired" });
	});

	test("not yet valid (nbf)", () => refused(sign(key, claims({ nbf: Math.floor(Date.now() / 1000) + 600 })), "token_expired"));

	test("wrong audience (another tenant)", () => refused(sign(key, claims({ aud: "ten_other" })), "invalid_token", "ERR_JWT_CLAIM_VALIDATION_FAILED"));

	test("wrong issuer", () => refused(sign(key, claims({ iss: "https://evil.test" })), "invalid_token", "ERR_JWT_CLAIM_VALIDATION_FAILED"));

	test("unknown kid", async () => {
		const other = await makeKey();
		await refused(sign(other), "invalid_token", "ERR_JWKS_NO_MATCHING_KEY");
	});

	test("a kid of the set, signed by another key (forged signature)", async () => {
		const other = await makeKey();
		await refused(sign({ ...other, kid: key.kid }), "invalid_token", "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
	});

	test("tampered claims", async () => {
		const [h, , s] = (await sign(key)).split(".");
		await refused(`${h}.${b64url(claims({ sub: "usr_admin" }))}.${s}`, "invalid_token", "ERR_JWS_SIGNATURE_VERIFICATION_FAILED");
	});

	test("other algorithms are refused before any key is used", async () => {
		const es = await makeKey("ES256");
		const t = await new SignJWT(claims()).setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" }).sign(es.privateKey);
		await refused(t, "invalid_token", "ERR_JOSE_ALG_NOT_ALLOWED");
		const none = `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims())}.`;
		await refused(none, "invalid_token");
		const hs = await new SignJWT(claims()).setProtectedHeader({ alg: "HS256", kid: key.kid, typ: "JWT" }).sign(new TextEncoder().encode("x".repeat(32)));
		await refused(hs, "invalid_token", "ERR_JOSE_ALG_NOT_ALLOWED");
	});

	test("typ must be JWT", () => refused(sign(key, claims(), { typ: "at+jwt" }), "invalid_token", "ERR_JWT_CLAIM_VALIDATION_FAILED"));

	test("claims saasd always signs are required", async () => {
		const c = claims();
		delete c.sid;
		await refused(sign(key, c), "invalid_token");
		await refused(sign(key, claims({ org: { id: "org_1" } })), "invalid_token");
	});

	test("missing or malformed tokens", async () => {
		await refused(Promise.resolve(""), "missing_token");
		await refused(Promise.resolve(undefined), "missing_token");
		await refused(Promise.resolve("abc"), "missing_token");
		await refused(Promise.resolve("a.b.c"), "invalid_token");
	});

	test("options are checked", async () => {
		await assert.rejects(verifyAccessToken("a.b.c", { jwksUrl: srv.url }), TypeError);
		await assert.rejects(verifyAccessToken("a.b.c", { audience: TENANT }), TypeError);
	});
});

describe("the JWKS cache", () => {
	test("one fetch for many verifications, across calls", async () => {
		clearJwksCache();
		const before = srv.requests;
		const t = await sign(key);
		for (let i = 0; i < 200; i++) await verifyAccessToken(t, opts);
		await Promise.all(Array.from({ length: 50 }, () => verifyAccessToken(t, opts)));
		assert.equal(srv.requests - before, 1);
	});

	test("a new kid (rotation) refetches once; the old key still verifies", async () => {
		clearJwksCache();
		const k2 = await makeKey();
		const s2 = await jwksServer([key]);
		try {
			const o = { ...opts, jwksUrl: s2.url };
			await verifyAccessToken(await sign(key), o);
			assert.equal(s2.requests, 1);
			s2.keys = [k2, key];
			// within jose's 30 s cooldown an unknown kid is not refetched ...
			await assert.rejects(verifyAccessToken(await sign(k2), o), { code: "invalid_token" });
			assert.equal(s2.requests, 1);
			// ... a fresh cache (a new isolate, or after the cooldown) picks it up
			clearJwksCache();
			await verifyAccessToken(await sign(k2), o);
			await verifyAccessToken(await sign(key), o);
			assert.equal(s2.requests, 2);
		} finally {
			await s2.close();
		}
	});

	test("jwks.cooldownDuration 0: an unknown kid refetches at once", async () => {
		clearJwksCache();
		const k2 = await makeKey();
		const s2 = await jwksServer([key]);
		try {
			const o = { ...opts, jwksUrl: s2.url, jwks: { cooldownDuration: 0 } };
			await verifyAccessToken(await sign(key), o);
			s2.keys = [k2, key];
			await verifyAccessToken(await sign(k2), o);
			assert.equal(s2.requests, 2);
			await verifyAccessToken(await sign(k2), o);
			assert.equal(s2.requests, 2);
		} finally {
			await s2.close();
		}
	});

	test("an unreachable or failing JWKS is jwks_unavailable, not invalid_token", async () => {
		clearJwksCache();
		const s3 = await jwksServer([key]);
		s3.status = 500;
		try {
			await assert.rejects(verifyAccessToken(await sign(key), { ...opts, jwksUrl: s3.url }), { code: "jwks_unavailable" });
		} finally {
			await s3.close();
		}
		clearJwksCache();
		await assert.rejects(verifyAccessToken(await sign(key), { ...opts, jwksUrl: s3.url }), { code: "jwks_unavailable" });
	});

	test("a custom fetch is used for the key set", async () => {
		clearJwksCache();
		let calls = 0;
		const f = async (url, init) => {
			calls++;
			return fetch(url, init);
		};
		await verifyAccessToken(await sign(key), { ...opts, fetch: f });
		assert.equal(calls, 1);
	});
});

describe("the verified-token cache", () => {
	test("a token seen before is not verified again, but its claims are rechecked", async () => {
		clearJwksCache();
		const now = Math.floor(Date.now() / 1000);
		const t = await sign(key, claims({ exp: now + 60 }));
		const first = await verifyAccessToken(t, opts);
		const again = await verifyAccessToken(t, opts);
		assert.equal(again, first, "the same (frozen) claims object: a cache hit");
		assert.ok(Object.isFrozen(first) && Object.isFrozen(first.amr));
		// rechecked on every hit: audience, issuer, expiry
		await assert.rejects(verifyAccessToken(t, { ...opts, audience: "ten_other" }), { code: "invalid_token" });
		await assert.rejects(verifyAccessToken(t, { ...opts, issuer: "https://evil.test" }), { code: "invalid_token" });
		await assert.rejects(verifyAccessToken(t, { ...opts, currentDate: new Date((now + 61) * 1000) }), { code: "token_expired" });
		await verifyAccessToken(t, { ...opts, audience: ["ten_x", TENANT] });
		// another signature on the same claims is another key: fully verified
		const [h, p, sig] = t.split(".");
		const bad = `${h}.${p}.${sig.slice(0, -2)}${sig.endsWith("AA") ? "BA" : "AA"}`;
		await assert.rejects(verifyAccessToken(bad, opts), { code: "invalid_token" });
		// cache: false verifies anew
		const fresh = await verifyAccessToken(t, { ...opts, cache: false });
		assert.notEqual(fresh, first);
		assert.deepEqual(fresh, first);
	});

	test("a refused token is never cached", async () => {
		clearJwksCache();
		const t = await sign(key, claims({ aud: "ten_other" }));
		await assert.rejects(verifyAccessToken(t, opts), { code: "invalid_token" });
		await assert.rejects(verifyAccessToken(t, opts), { code: "invalid_token" });
	});

	test("bounded: the oldest entry goes first; 0 turns it off", async () => {
		clearJwksCache();
		const saved = verifiedCacheSize();
		try {
			verifiedCacheSize(2);
			const [a, b, c] = await Promise.all([1, 2, 3].map((i) => sign(key, claims({ sid: `ses_${i}` }))));
			const ca = await verifyAccessToken(a, opts);
			await verifyAccessToken(b, opts);
			await verifyAccessToken(c, opts);
			assert.notEqual(await verifyAccessToken(a, opts), ca, "a was evicted");
			verifiedCacheSize(0);
			const cb = await verifyAccessToken(b, opts);
			assert.notEqual(await verifyAccessToken(b, opts), cb);
			assert.throws(() => verifiedCacheSize(-1), TypeError);
		} finally {
			verifiedCacheSize(saved);
		}
	});
});

describe("permissions", () => {
	test("saasd's matching rule", () => {
		assert.ok(hasPermission(["*"], "anything:at_all"));
		assert.ok(hasPermission(["billing:*"], "billing:read"));
		assert.ok(hasPermission(["billing:*"], "billing:invoices:read"));
		assert.ok(!hasPermission(["billing:*"], "billing:"));
		assert.ok(!hasPermission(["billing:*"], "billingx:read"));
		assert.ok(hasPermission(["org:read"], "org:read"));
		assert.ok(!hasPermission(["org:read"], "org:update"));
		assert.ok(!hasPermission([], "org:read"));
		assert.ok(!hasPermission(undefined, "org:read"));
	});
});
