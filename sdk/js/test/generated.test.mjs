// generated.test.mjs: src/schema.d.ts is what openapi-typescript makes of
// ../../openapi.yaml today (`npm run generate` rewrites it).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

test("src/schema.d.ts is up to date with openapi.yaml", () => {
	const dir = mkdtempSync(path.join(tmpdir(), "saasd-sdk-schema-"));
	try {
		const out = path.join(dir, "schema.d.ts");
		const bin = path.join(root, "node_modules", "openapi-typescript", "bin", "cli.js");
		execFileSync(process.execPath, [bin, path.join(root, "..", "..", "openapi.yaml"), "-o", out], { cwd: root, stdio: "pipe" });
		const fresh = readFileSync(out, "utf8");
		const checked = readFileSync(path.join(root, "src", "schema.d.ts"), "utf8");
		assert.ok(fresh === checked, "src/schema.d.ts differs from what openapi.yaml generates: run `npm run generate` in sdk/js and commit it");
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
});
