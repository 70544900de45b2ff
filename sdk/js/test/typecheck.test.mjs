// typecheck.test.mjs: the sources and test/types.ts type-check with tsc
// (strict, DOM and ES2022 only: no Node types in the core), so the client's
// typing against the generated schema holds, refusals included.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

test("tsc -p tsconfig.test.json", () => {
	execFileSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(root, "tsconfig.test.json")], { cwd: root, stdio: "inherit" });
});
