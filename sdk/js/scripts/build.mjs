// build.mjs: src/*.ts → dist/*.js (esbuild: ES modules, one file per
// module, nothing bundled, jose stays an import) and dist/*.d.ts (tsc).
// `npm run build`; the tests build first, so dist/ is never stale.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "src");
const dist = path.join(root, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const entries = readdirSync(src)
	.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
	.map((f) => path.join(src, f));
await esbuild.build({
	entryPoints: entries,
	outdir: dist,
	format: "esm",
	platform: "neutral",
	target: "es2022",
	bundle: false,
	sourcemap: false,
	logLevel: "warning",
});
// the generated schema is types only
copyFileSync(path.join(src, "schema.d.ts"), path.join(dist, "schema.d.ts"));
execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "tsconfig.json")], {
	stdio: "inherit",
});
