// bundle-worker.mjs OUT.js [ENTRY.ts]: test/worker/worker.ts (or ENTRY,
// e.g. test/e2e/client_flow.ts for Node) and everything it imports
// (@saasd/sdk, hono, jose) as one ES module for workerd. @saasd/sdk and
// @saasd/sdk/hono resolve to src/ (esbuild compiles the TypeScript), so the
// bundle never depends on a dist/ that another run may be rebuilding.
// Used by tests/e2e/test_sdk_workerd.py.
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = process.argv[2];
if (!out) {
	console.error("usage: bundle-worker.mjs OUT.js");
	process.exit(2);
}
await esbuild.build({
	entryPoints: [process.argv[3] ? path.resolve(process.argv[3]) : path.join(root, "test", "worker", "worker.ts")],
	outfile: path.resolve(out),
	bundle: true,
	format: "esm",
	platform: "neutral",
	target: "es2022",
	mainFields: ["module", "main"],
	conditions: ["workerd", "worker", "browser"],
	alias: { "@saasd/sdk/hono": path.join(root, "src", "hono.ts"), "@saasd/sdk": path.join(root, "src", "index.ts") },
	logLevel: "warning",
});
