// browser_flow.mjs: drives headless Chromium with puppeteer-core (tests/node,
// pinned; PUPPETEER_DIR names that directory) through the pages of
// test_browser.py. Chromium talks over a pipe (no DevTools port), with a
// temporary profile, and is killed by its PID at the end whatever happens.
//
// stdin:  {"chromium": path, "profile": dir, "pages": [{"name", "url"}, ...]}
// stdout: {"results": {name: window.__result of that page, ...},
//          "cookies": {name: the browser's cookies after that page, ...},
//          "console": [messages the pages logged], "chromium_pid": n}
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.env.PUPPETEER_DIR;
if (!dir) {
	console.error("PUPPETEER_DIR is not set");
	process.exit(2);
}
const pkgDir = path.resolve(dir, "node_modules", "puppeteer-core");
const pkg = JSON.parse(readFileSync(path.join(pkgDir, "package.json"), "utf8"));
const entry = pkg.exports["."].import;
const puppeteer = (await import(pathToFileURL(path.join(pkgDir, entry)).href)).default;

let input = "";
for await (const chunk of process.stdin) input += chunk;
const req = JSON.parse(input);

const out = { results: {}, cookies: {}, console: [] };
let browser = null;
let pid = null;
try {
	browser = await puppeteer.launch({
		executablePath: req.chromium,
		headless: true,
		pipe: true,
		userDataDir: req.profile,
		args: [
			"--headless=new",
			"--no-sandbox",
			"--no-first-run",
			"--no-default-browser-check",
			"--disable-gpu",
			"--disable-dev-shm-usage",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
			"--metrics-recording-only",
		],
	});
	pid = browser.process()?.pid ?? null;
	out.chromium_pid = pid;
	for (const p of req.pages) {
		const page = await browser.newPage();
		page.on("console", (m) => out.console.push(`${p.name}: ${m.type()}: ${m.text()}`));
		page.on("pageerror", (e) => out.console.push(`${p.name}: pageerror: ${e}`));
		await page.goto(p.url, { waitUntil: "load", timeout: 30000 });
		await page.waitForFunction(() => window.__result !== undefined, { timeout: 30000 });
		out.results[p.name] = await page.evaluate(() => window.__result);
		out.cookies[p.name] = (await browser.cookies()).map((c) => ({
			name: c.name,
			value: c.value,
			domain: c.domain,
			path: c.path,
			expires: c.expires,
			httpOnly: c.httpOnly,
			secure: c.secure,
			sameSite: c.sameSite,
			session: c.session,
		}));
		await page.close();
	}
} catch (e) {
	out.error = String(e && e.stack ? e.stack : e);
} finally {
	if (browser !== null) {
		try {
			await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]);
		} catch {
			// killed below
		}
	}
	if (pid !== null) {
		// its own process group (puppeteer starts it detached): the
		// renderers and the zygote go with it
		for (const target of [-pid, pid]) {
			try {
				process.kill(target, "SIGKILL");
			} catch {
				// already gone
			}
		}
	}
}
process.stdout.write(JSON.stringify(out));
process.exit(out.error ? 1 : 0);
