// helpers.mjs: what the SDK's unit tests share: Ed25519 keys made with
// jose, saasd-shaped tokens signed with them, and a JWKS server on
// 127.0.0.1 that counts its requests.
import http from "node:http";
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";

export const ISSUER = "https://auth.example.test";
export const TENANT = "ten_01test0000000000000000000";

/** An Ed25519 key pair with saasd's kid (RFC 7638 thumbprint) and public JWK. */
export async function makeKey(alg = "EdDSA") {
	const { publicKey, privateKey } = await generateKeyPair(alg, alg === "EdDSA" ? { crv: "Ed25519" } : {});
	const jwk = await exportJWK(publicKey);
	const kid = await calculateJwkThumbprint(jwk);
	return { privateKey, kid, jwk: { ...jwk, kid, alg, use: "sig" } };
}

/** Claims the way saasd's POST /auth/token makes them. */
export function claims(over = {}) {
	const now = Math.floor(Date.now() / 1000);
	return {
		iss: ISSUER,
		aud: TENANT,
		sub: "usr_01user00000000000000000000",
		sid: "ses_01sess00000000000000000000",
		iat: now,
		exp: now + 300,
		aal: 1,
		amr: ["pwd"],
		email: "ada@example.test",
		email_verified: true,
		...over,
	};
}

export async function sign(key, body = claims(), header = {}) {
	return new SignJWT(body).setProtectedHeader({ alg: "EdDSA", kid: key.kid, typ: "JWT", ...header }).sign(key.privateKey);
}

/** A JWKS server on a free loopback port; `requests` counts the fetches. */
export async function jwksServer(keys) {
	const state = { keys, requests: 0, status: 200 };
	const server = http.createServer((req, res) => {
		state.requests++;
		if (req.url !== "/.well-known/jwks.json" || state.status !== 200) {
			res.writeHead(state.status === 200 ? 404 : state.status);
			res.end();
			return;
		}
		res.writeHead(200, { "Content-Type": "application/json" });
		res.end(JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
	});
	await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address();
	state.url = `http://127.0.0.1:${port}/.well-known/jwks.json`;
	state.close = () => new Promise((resolve) => server.close(resolve));
	return state;
}

export function b64url(obj) {
	return Buffer.from(JSON.stringify(obj)).toString("base64url");
}
