// verify_jwt.mjs: verifies saasd's access tokens with the npm package `jose`
// (tests/node, pinned; JOSE_DIR names that directory), so the e2e tests do
// not check our JWTs with our own code. Used by test_access_tokens.py.
//
// stdin:  {"items": [{"token", "issuer", "audience", "now" (epoch seconds:
//          saasd's clock, which the test clock moves), "jwks" (a JWKS
//          object) or "jwks_url" (fetched by jose)}, ...]}
// stdout: {"results": [{"ok": bool, "code": string|null, "error": string|null,
//          "payload": object|null, "header": object|null}, ...]}
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.env.JOSE_DIR;
if (!dir) {
	console.error("JOSE_DIR is not set");
	process.exit(2);
}
const pkgDir = path.resolve(dir, "node_modules", "jose");
const pkg = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
const entry = pkg.exports["."].default || pkg.exports["."].import;
const jose = await import(pathToFileURL(path.join(pkgDir, entry)).href);

let input = "";
for await (const chunk of process.stdin) input += chunk;
const req = JSON.parse(input);
const results = [];
for (const item of req.items) {
	try {
		const keys = item.jwks_url
			? jose.createRemoteJWKSet(new URL(item.jwks_url))
			: jose.createLocalJWKSet(item.jwks);
		const { payload, protectedHeader } = await jose.jwtVerify(item.token, keys, {
			issuer: item.issuer,
			audience: item.audience,
			algorithms: ["EdDSA"],
			typ: "JWT",
			currentDate: new Date(item.now * 1000),
		});
		results.push({ ok: true, code: null, error: null, payload, header: protectedHeader });
	} catch (e) {
		results.push({ ok: false, code: e.code || null, error: String(e.message), payload: null,
			       header: null });
	}
}
process.stdout.write(JSON.stringify({ results }));
