// sdk_verify.mjs: access-token verifications per second with @saasd/sdk's
// verifyAccessToken in Node (jose, EdDSA), the JWKS cached (fetched once
// from a JWKS server in this process on 127.0.0.1; every measured call
// verifies from the cache). Two modes: "signature" (cache: false: the
// Ed25519 signature and every claim checked on each call, as for a token
// never seen) and "repeat" (the default verified-token cache: the same token
// again, as a client sends it with each call of its lifetime: claims
// rechecked, signature not). Goal (issue 12): >= 20 000/s on one core.
//
//   node bench/sdk_verify.mjs            # pinned to one core (taskset -c 0,
//                                        # UV_THREADPOOL_SIZE=1), the goal's setting
//   BENCH_ALL_CORES=1 node bench/sdk_verify.mjs
//
// Knobs: BENCH_RUNS (5; the median is reported), BENCH_SECONDS (2 per run),
// BENCH_CONCURRENCY (32 verifications in flight in the "concurrent" mode).
// Needs sdk/js installed (scripts/npm-deps.sh sdk/js); builds sdk/js/dist
// if it is missing. Prints a markdown table.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sdk = path.join(root, "sdk", "js");

if (!process.env.BENCH_ALL_CORES && !process.env.BENCH_PINNED) {
	// re-run on one core: the main thread and libuv's pool (WebCrypto jobs) share it
	const r = spawnSync("taskset", ["-c", "0", process.execPath, ...process.argv.slice(1)], {
		stdio: "inherit",
		env: { ...process.env, BENCH_PINNED: "1", UV_THREADPOOL_SIZE: "1" },
	});
	if (r.error) {
		console.error(`sdk_verify: taskset failed (${r.error.message}); set BENCH_ALL_CORES=1 to run unpinned`);
		process.exit(1);
	}
	process.exit(r.status ?? 1);
}

if (!existsSync(path.join(sdk, "node_modules", "jose"))) {
	console.error("sdk_verify: run scripts/npm-deps.sh sdk/js first");
	process.exit(1);
}
if (!existsSync(path.join(sdk, "dist", "index.js"))) execFileSync(process.execPath, [path.join(sdk, "scripts", "build.mjs")], { stdio: "inherit" });

const jose = await import(pathToFileURL(createRequire(path.join(sdk, "package.json")).resolve("jose")).href);
const { verifyAccessToken, clearJwksCache } = await import(pathToFileURL(path.join(sdk, "dist", "index.js")).href);

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const CONC = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ISS = "https://auth.example.test";
const AUD = "ten_01bench000000000000000000";

const { publicKey, privateKey } = await jose.generateKeyPair("EdDSA", { crv: "Ed25519" });
const jwk = await jose.exportJWK(publicKey);
const kid = await jose.calculateJwkThumbprint(jwk);
let fetches = 0;
const server = http.createServer((req, res) => {
	fetches++;
	res.writeHead(200, { "Content-Type": "application/json" });
	res.end(JSON.stringify({ keys: [{ ...jwk, kid, alg: "EdDSA", use: "sig" }] }));
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const jwksUrl = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;

const now = Math.floor(Date.now() / 1000);
const base = { iss: ISS, aud: AUD, sub: "usr_01bench00000000000000000u", sid: "ses_01bench00000000000000000s", iat: now, exp: now + 3600, aal: 1, amr: ["pwd"], email: "bench@example.test", email_verified: true };
const sign = (claims) => new jose.SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid, typ: "JWT" }).sign(privateKey);
const tokens = {
	session: await sign(base),
	org: await sign({ ...base, org: { id: "org_01bench00000000000000000o", role: "admin", permissions: ["org:read", "org:update", "members:read", "members:invite", "billing:read", "audit:read"] }, ent: { tier: "pro", features: ["sso", "audit_log", "api"] } }),
};
const opts = { jwksUrl, audience: AUD, issuer: ISS };

async function run(token, concurrency, o) {
	const deadline = performance.now() + SECONDS * 1000;
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	let n = 0;
	if (concurrency === 1) {
		while (performance.now() < deadline) {
			for (let i = 0; i < 64; i++) await verifyAccessToken(token, o);
			n += 64;
		}
	} else {
		const batch = Array.from({ length: concurrency });
		while (performance.now() < deadline) {
			await Promise.all(batch.map(() => verifyAccessToken(token, o)));
			n += concurrency;
		}
	}
	const secs = (performance.now() - t0) / 1000;
	const cpu = process.cpuUsage(cpu0);
	return { rate: n / secs, cpuUs: (cpu.user + cpu.system) / n };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
clearJwksCache();
await verifyAccessToken(tokens.session, opts); // the one JWKS fetch
const modes = { signature: { ...opts, cache: false }, repeat: opts };
for (const t of Object.values(tokens)) for (const o of Object.values(modes)) await run(t, CONC, o); // warm-up (JIT, key import)

const rows = [];
for (const [mode, o] of Object.entries(modes)) {
	for (const [name, token] of Object.entries(tokens)) {
		for (const conc of [1, CONC]) {
			const rs = [];
			for (let i = 0; i < RUNS; i++) rs.push(await run(token, conc, o));
			rows.push({ mode, name, conc, rate: median(rs.map((r) => r.rate)), cpuUs: median(rs.map((r) => r.cpuUs)), runs: rs.map((r) => r.rate.toFixed(0)).join(" / ") });
		}
	}
}
server.close();

const where = process.env.BENCH_PINNED ? "one core (taskset -c 0, UV_THREADPOOL_SIZE=1)" : `all ${os.cpus().length} cores`;
console.log(`verifyAccessToken, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, Node ${process.version}, ${os.cpus()[0]?.model ?? "?"}, ${where}; medians of ${RUNS} runs of ${SECONDS} s; JWKS fetches: ${fetches}`);
console.log("| mode | token | in flight | verifications/s (median) | CPU/verification | runs |");
console.log("|---|---|---:|---:|---:|---|");
for (const r of rows) console.log(`| ${r.mode} | ${r.name} | ${r.conc} | ${r.rate.toFixed(0)} | ${r.cpuUs.toFixed(1)} us | ${r.runs} |`);
for (const mode of Object.keys(modes)) {
	const best = Math.max(...rows.filter((r) => r.mode === mode).map((r) => r.rate));
	console.log(`${mode}: best median ${best.toFixed(0)}/s: ${best >= 20000 ? "met" : "MISSED"} (goal >= 20 000/s on one core)`);
}
if (fetches !== 1) {
	console.error(`sdk_verify: expected one JWKS fetch, saw ${fetches}`);
	process.exit(1);
}
