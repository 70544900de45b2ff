// client_flow.ts: @saasd/sdk's client and verifyAccessToken against a real
// saasd, run by tests/e2e/test_sdk_workerd.py in Node (bundled like the
// Worker). Input (env): SAASD_URL, SAASD_PK (publishable key), SAASD_SK
// (secret key), SAASD_TENANT_ID, EMAIL. Prints one JSON object of what it
// saw; the Python test asserts on it.
import { SaasdError, createClient, verifyAccessToken } from "@saasd/sdk";

declare const process: { env: Record<string, string | undefined>; stdout: { write(s: string): void }; exitCode?: number };

const env = process.env as Record<string, string>;
const out: Record<string, unknown> = {};

async function refusal(p: Promise<unknown>) {
	try {
		await p;
		return { ok: true };
	} catch (e) {
		if (!(e instanceof SaasdError)) throw e;
		return { status: e.status, code: e.code, fields: e.fields, requestId: e.requestId, message: e.message };
	}
}

const seen: (string | null)[] = [];
const browser = createClient({ baseUrl: env.SAASD_URL, key: env.SAASD_PK, onSessionToken: (t) => seen.push(t) });
const reg = await browser.auth.register({ email: env.EMAIL, password: "correct horse 1", name: "Ada" });
out.registered = { user: reg.user.id, stored: browser.sessionToken === reg.session.token };
const me = await browser.auth.session();
out.session = { user: me.user.id, session: me.session.id };
const org = await browser.organizations.create({ name: "SDK Org" });
out.org = { id: org.id, owner: org.owner_id };
const tok = await browser.auth.token({ organization_id: org.id });
const claims = await verifyAccessToken(tok.access_token, {
	jwksUrl: `${env.SAASD_URL}/.well-known/jwks.json`,
	audience: env.SAASD_TENANT_ID,
	issuer: env.SAASD_URL,
});
out.token = { type: tok.token_type, expiresIn: tok.expires_in, sub: claims.sub, sid: claims.sid, aud: claims.aud, org: claims.org, ent: claims.ent };
out.wrongAudience = await verifyAccessToken(tok.access_token, { jwksUrl: `${env.SAASD_URL}/.well-known/jwks.json`, audience: "ten_other" }).then(
	() => "accepted",
	(e) => e.code,
);
const before = browser.sessionToken;
const refreshed = await browser.auth.refresh();
out.refresh = { changed: browser.sessionToken !== before, stored: browser.sessionToken === refreshed.session.token, sameSession: refreshed.session.id === me.session.id };
out.afterRefresh = (await browser.auth.session()).user.id;
out.emailTaken = await refusal(browser.auth.register({ email: env.EMAIL, password: "correct horse 1" }, { session: false }));
out.weak = await refusal(browser.auth.register({ email: `x.${env.EMAIL}`, password: "short" }, { session: false }));
out.systemWithPk = await refusal(browser.request("get", "/tenant", { session: false }));
const server = createClient({ baseUrl: env.SAASD_URL, key: env.SAASD_SK });
out.check = await server.organizations.checkPermission(org.id, { user_id: reg.user.id, permission: "org:delete" });
out.entitlements = await server.organizations.entitlements(org.id);
const last = browser.sessionToken as string;
await browser.auth.logout();
out.logout = { stored: browser.sessionToken };
out.afterLogout = await refusal(browser.auth.session({ session: last }));
browser.setSessionToken("not-a-session");
out.bogus = { ...(await refusal(browser.auth.session())), storedAfter: browser.sessionToken };
out.seen = seen.map((t) => (t === null ? null : t === reg.session.token ? "registered" : t === refreshed.session.token ? "refreshed" : "other"));
out.network = await refusal(createClient({ baseUrl: "http://127.0.0.1:1", key: env.SAASD_SK }).auth.session());
process.stdout.write(JSON.stringify(out));
