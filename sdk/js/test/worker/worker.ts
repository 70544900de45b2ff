// worker.ts: a Cloudflare Worker (Hono) built on @saasd/sdk, run in workerd
// by tests/e2e/test_sdk_workerd.py. Bindings (text): SAASD_URL, SAASD_KEY
// (the tenant's secret key), SAASD_JWKS_URL, SAASD_TENANT_ID (the tokens'
// audience), SAASD_ISSUER; TEST_CLOCK = "1" lets a request name the time
// to verify at (X-Test-Now, epoch seconds), as saasd's test clock moves;
// JWKS_COOLDOWN_MS sets the key set's refetch cooldown.
//
//   GET /health                      no token
//   GET /me                          the verified token, offline
//   GET /orgs/:id/can/:permission    the token, then saasd's permission check
//                                    for that user (the SDK client, system call)
//   GET /orgs/:id/billing            offline: the token's org must be :id and
//                                    grant billing:read (requirePermission)
import { Hono } from "hono";
import { SaasdError, createClient } from "@saasd/sdk";
import { requirePermission, saasd, type SaasdVariables } from "@saasd/sdk/hono";

type Bindings = {
	SAASD_URL: string;
	SAASD_KEY: string;
	SAASD_JWKS_URL: string;
	SAASD_TENANT_ID: string;
	SAASD_ISSUER: string;
	TEST_CLOCK?: string;
	JWKS_COOLDOWN_MS?: string;
};

// jose's refetch cooldown for an unknown kid (default 30 s); the test sets 0
// so that a key rotation is seen by the next request
const jwks = (env: Bindings) => (env.JWKS_COOLDOWN_MS ? { cooldownDuration: Number(env.JWKS_COOLDOWN_MS) } : undefined);

const app = new Hono<{ Bindings: Bindings; Variables: SaasdVariables }>();

app.get("/health", (c) => c.json({ ok: true, runtime: navigator.userAgent }));

app.use(
	"/me",
	saasd((c) => {
		const now = c.env.TEST_CLOCK === "1" ? c.req.header("x-test-now") : undefined;
		return {
			jwksUrl: c.env.SAASD_JWKS_URL,
			audience: c.env.SAASD_TENANT_ID,
			issuer: c.env.SAASD_ISSUER,
			currentDate: now ? new Date(Number(now) * 1000) : undefined,
			jwks: jwks(c.env),
		};
	}),
);
app.use("/orgs/*", saasd((c) => ({ jwksUrl: c.env.SAASD_JWKS_URL, audience: c.env.SAASD_TENANT_ID, issuer: c.env.SAASD_ISSUER, jwks: jwks(c.env) })));

app.get("/me", (c) => {
	const a = c.get("saasd");
	return c.json({ user: a.user, org: a.org, role: a.role, permissions: a.permissions, entitlements: a.entitlements, tenantId: a.tenantId, claims: a.claims });
});

app.get("/orgs/:id/can/:permission", async (c) => {
	const a = c.get("saasd");
	const saasdApi = createClient({ baseUrl: c.env.SAASD_URL, key: c.env.SAASD_KEY });
	try {
		const r = await saasdApi.organizations.checkPermission(c.req.param("id"), { user_id: a.user.id, permission: c.req.param("permission") });
		return c.json({ allowed: r.allowed, role: r.role ?? null, user: a.user.id });
	} catch (e) {
		if (e instanceof SaasdError)
			return c.json({ error: { code: e.code, message: e.message, status: e.status, request_id: e.requestId, fields: e.fields } }, e.status === 404 ? 404 : 502);
		throw e;
	}
});

app.get("/orgs/:id/billing", requirePermission("billing:read"), (c) => {
	const a = c.get("saasd");
	if (a.org?.id !== c.req.param("id")) return c.json({ error: { code: "forbidden", message: "the token is for another organization" } }, 403);
	return c.json({ org: a.org.id, tier: a.entitlements?.tier ?? null });
});

export default app;
