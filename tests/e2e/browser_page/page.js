// page.js: the browser side of test_browser.py. Reads ?api=&key=&email=&step=
// and runs one step against saasd with fetch(..., {credentials: "include"}),
// the publishable key in Authorization and the session only in the
// saasd_session cookie (HttpOnly: document.cookie never shows it). The
// outcome goes to window.__result for browser_flow.mjs.
const q = new URLSearchParams(location.search);
const api = q.get("api");
const key = q.get("key");
const email = q.get("email");
const password = "correct horse 1";

async function call(method, path, body) {
	const headers = { Authorization: "Bearer " + key };
	if (body !== undefined) headers["Content-Type"] = "application/json";
	try {
		const r = await fetch(api + path, {
			method,
			headers,
			credentials: "include",
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await r.text();
		return { status: r.status, json: text ? JSON.parse(text) : null };
	} catch (e) {
		// a CORS refusal: the browser hands the page nothing but this
		return { rejected: true, error: String(e) };
	}
}

const steps = {
	// signs up, reads the session, logs out, logs in again, works and
	// refreshes: ends signed in
	async signin() {
		const out = {};
		out.register = await call("POST", "/auth/register", {
			email,
			password,
			session_cookie: true,
		});
		out.cookie_visible_to_script = document.cookie.includes("saasd_session");
		out.session_after_register = await call("GET", "/auth/session");
		out.logout = await call("POST", "/auth/logout");
		out.session_after_logout = await call("GET", "/auth/session");
		out.login = await call("POST", "/auth/login", { email, password, session_cookie: true });
		out.session_after_login = await call("GET", "/auth/session");
		out.org = await call("POST", "/organizations", { name: "Browser Org" });
		out.refresh = await call("POST", "/auth/session/refresh");
		out.session_after_refresh = await call("GET", "/auth/session");
		return out;
	},
	// from an origin the tenant does not allow: every read is refused
	async foreign() {
		return {
			session: await call("GET", "/auth/session"),
			logout: await call("POST", "/auth/logout"),
			login: await call("POST", "/auth/login", { email, password, session_cookie: true }),
		};
	},
	async signout() {
		return {
			logout: await call("POST", "/auth/logout"),
			session_after_logout: await call("GET", "/auth/session"),
		};
	},
};

const step = steps[q.get("step")];
(step ? step() : Promise.resolve({ error: "unknown step" })).then(
	(r) => {
		window.__result = r;
		document.getElementById("log").textContent = JSON.stringify(r, null, 1);
	},
	(e) => {
		window.__result = { error: String(e) };
	},
);
