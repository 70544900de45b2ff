// neutral.test.mjs: the package's entry points bundle for a platform with
// no Node built-ins (esbuild platform "neutral", as for a Worker or a
// browser): a node: import anywhere in the SDK or jose fails the build.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

for (const entry of ["index.js", "hono.js"]) {
	test(`dist/${entry} bundles without Node built-ins`, async () => {
		const r = await esbuild.build({
			entryPoints: [path.join(root, "dist", entry)],
			bundle: true,
			write: false,
			format: "esm",
			platform: "neutral",
			mainFields: ["module", "main"],
			conditions: ["worker", "browser"],
			logLevel: "silent",
		});
		const text = r.outputFiles[0].text;
		assert.doesNotMatch(text, /from\s*["']node:/);
		assert.doesNotMatch(text, /\brequire\(/);
	});
}
