// openapi_types.mjs: the generator proof of test_openapi.py. Generates
// TypeScript types from openapi.yaml with the npm package openapi-typescript
// (tests/node, pinned; NODE_DIR names that directory), collecting every
// warning and error it reports, then type-checks a file of assertions about
// the generated types (written by the test) with the TypeScript compiler
// installed beside it, in strict mode. Also validates the document against
// the OpenAPI 3.1 schema with @readme/openapi-parser (tests/node, pinned).
//
// argv:   SPEC.yaml CHECKS.ts OUTDIR
// stdout: {"warnings": [string], "diagnostics": [string], "bytes": number,
//          "validation": {"valid": bool, "errors": [string], "warnings": [string]}}
//         (the types are in OUTDIR/api.d.ts, the checks in OUTDIR/checks.ts)
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.env.NODE_DIR;
if (!dir) {
	console.error("NODE_DIR is not set");
	process.exit(2);
}
const [specPath, checksPath, outDir] = process.argv.slice(2);
const modules = path.resolve(dir, "node_modules");
const require = createRequire(path.join(modules, "noop.js"));
const ts = require("typescript");
const oats = await import(
	pathToFileURL(path.join(modules, "openapi-typescript", "dist", "index.mjs")).href
);

// openapi-typescript reports through console.warn / console.error
const warnings = [];
for (const name of ["warn", "error"]) {
	console[name] = (...args) => warnings.push(args.map(String).join(" "));
}
let source = "";
try {
	const ast = await oats.default(pathToFileURL(path.resolve(specPath)), { silent: false });
	source = oats.astToString(ast);
} catch (e) {
	warnings.push("openapi-typescript failed: " + (e && e.stack ? e.stack : String(e)));
}
const types = path.join(outDir, "api.d.ts");
const checks = path.join(outDir, "checks.ts");
writeFileSync(types, source);
copyFileSync(checksPath, checks);

const program = ts.createProgram([checks], {
	strict: true,
	noEmit: true,
	target: ts.ScriptTarget.ES2022,
	module: ts.ModuleKind.ESNext,
	moduleResolution: ts.ModuleResolutionKind.Bundler,
	skipLibCheck: false,
	types: [],
});
const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
	const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
	if (!d.file) return text;
	const { line } = d.file.getLineAndCharacterOfPosition(d.start);
	const src = readFileSync(d.file.fileName, "utf8").split("\n")[line] || "";
	return `${path.basename(d.file.fileName)}:${line + 1}: ${text}\n    ${src.trim()}`;
});
const parser = await import(
	pathToFileURL(path.join(modules, "@readme", "openapi-parser", "dist", "index.js")).href
);
let validation;
try {
	const v = await parser.validate(path.resolve(specPath), { resolve: { external: false } });
	const text = (list) => (list || []).map((e) => (typeof e === "string" ? e : JSON.stringify(e)));
	validation = { valid: v.valid, errors: text(v.errors), warnings: text(v.warnings) };
} catch (e) {
	validation = { valid: false, errors: [String(e && e.stack ? e.stack : e)], warnings: [] };
}
process.stdout.write(
	JSON.stringify({ warnings, diagnostics, bytes: source.length, validation }),
);
