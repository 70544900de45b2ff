// verify_standardwebhooks.js: verifies webhook requests that saasd sent with
// the reference implementation of the Standard Webhooks specification, the
// npm package `standardwebhooks`, one of the test tools of tests/node
// (STANDARDWEBHOOKS_DIR names it). Used by the webhook e2e tests.
//
// stdin:  {"vector": {secret, id, timestamp, body},
//          "items": [{"secret", "headers": {...}, "body_b64"}, ...]}
// stdout: {"vector": "<the package's signature of the published vector>",
//          "results": [{"ok": bool, "error": string|null, "payload": any}, ...]}
"use strict";
const path = require("path");

const dir = process.env.STANDARDWEBHOOKS_DIR;
if (!dir) {
	console.error("STANDARDWEBHOOKS_DIR is not set");
	process.exit(2);
}
const { Webhook } = require(require.resolve("standardwebhooks", { paths: [path.resolve(dir)] }));

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
	const req = JSON.parse(input);
	const v = req.vector;
	const vector = new Webhook(v.secret).sign(v.id, new Date(v.timestamp * 1000), v.body);
	const results = req.items.map((item) => {
		try {
			const body = Buffer.from(item.body_b64, "base64");
			const payload = new Webhook(item.secret).verify(body, item.headers);
			return { ok: true, error: null, payload: payload === undefined ? null : payload };
		} catch (e) {
			return { ok: false, error: String((e && e.message) || e), payload: null };
		}
	});
	process.stdout.write(JSON.stringify({ vector, results }));
});
