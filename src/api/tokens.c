/*
 * tokens.c: access tokens for the edge. POST /auth/token signs a JWT
 * (EdDSA) of the caller's session, with the organization's role,
 * permissions and entitlements when asked (from the same services as
 * /organizations/:id/members/:userId/permissions and /entitlements);
 * GET /.well-known/jwks.json and /.well-known/openid-configuration publish
 * how to verify it. The signing key never leaves svc/signing_keys.c.
 */
#include "api.h"

#include <stdlib.h>
#include <string.h>

#include "../svc/billing.h"
#include "../svc/orgs.h"
#include "../svc/rbac.h"
#include "../svc/signing_keys.h"
#include "input.h"
#include "render.h"

#define WELL_KNOWN_CACHE "public, max-age=300"

/* org and ent claims of organization org_id, for the calling user. */
static enum status org_claims(struct request *req, const char *org_id, json_t *claims)
{
	char *role = NULL;
	struct perm_list perms;
	enum status st =
		svc_member_permissions(&req->ctx, org_id, req->ctx.who.user_id, &role, &perms);
	if (st != ST_OK)
		return st;
	struct entitlements e;
	int n = 0;
	const char **metrics;
	int64_t *values;
	st = svc_entitlements(&req->ctx, org_id, &e, &n, &metrics, &values);
	if (st != ST_OK)
		return st;
	json_t *org = json_object();
	json_object_set_new(org, "id", json_string(org_id));
	json_object_set_new(org, "role", render_str(role));
	json_object_set_new(org, "permissions", render_perms(perms.n, perms.items));
	json_object_set_new(claims, "org", org);
	json_t *ent = json_object();
	json_object_set_new(ent, "tier", e.has_tier ? json_string(e.tier.key) : json_null());
	json_object_set_new(ent, "features", render_perms(e.nfeatures, e.features));
	json_object_set_new(claims, "ent", ent);
	return ST_OK;
}

enum status api_auth_token(struct request *req)
{
	static const char *const allowed[] = {"organization_id", NULL};
	const json_t *body = in_body(req);
	const char *org_id = NULL;
	in_known_fields(req, body, allowed, NULL);
	in_string(req, body, "organization_id", false, 1, 64, &org_id);
	enum status st = in_result(req);
	if (st != ST_OK)
		return st;
	const struct principal *who = &req->ctx.who;
	if (req->session_user == NULL || who->user_id == NULL)
		return ST_INVALID_SESSION;
	audit_target(&req->ctx, "session", who->session_id);
	const struct config *cfg = req->ctx.env->cfg;
	int64_t iat = svc_now(&req->ctx) / 1000;
	json_t *claims = json_object();
	arena_defer(&req->arena, (void (*)(void *))json_decref, claims);
	json_object_set_new(claims, "iss", json_string(cfg->public_url));
	json_object_set_new(claims, "aud", json_string(who->tenant_id));
	json_object_set_new(claims, "sub", json_string(who->user_id));
	json_object_set_new(claims, "sid", json_string(who->session_id));
	json_object_set_new(claims, "iat", json_integer(iat));
	json_object_set_new(claims, "exp", json_integer(iat + cfg->access_token_ttl));
	json_object_set_new(claims, "aal", json_integer(who->aal > 0 ? who->aal : 1));
	json_t *amr = json_array();
	json_array_append_new(amr, json_string("pwd"));
	json_object_set_new(claims, "amr", amr);
	json_object_set_new(claims, "email", json_string(req->session_user->email));
	json_object_set_new(claims, "email_verified",
			    json_boolean(req->session_user->email_verified));
	if (org_id != NULL) {
		st = org_claims(req, org_id, claims);
		if (st != ST_OK)
			return st;
	}
	char *payload = json_dumps(claims, JSON_COMPACT);
	if (payload == NULL)
		return ST_INTERNAL;
	char *jws = NULL;
	st = svc_sigkeys_jws(&req->ctx, payload, strlen(payload), &jws);
	free(payload);
	if (st != ST_OK)
		return st;
	json_t *o = json_object();
	json_object_set_new(o, "access_token", json_string(jws));
	json_object_set_new(o, "token_type", json_string("Bearer"));
	json_object_set_new(o, "expires_in", json_integer(cfg->access_token_ttl));
	reply_header(req, "Cache-Control", "no-store");
	return reply_json(req, 200, o);
}

enum status api_jwks(struct request *req)
{
	struct sigkey_public keys[SIGKEYS_MAX];
	int n = 0;
	enum status st = svc_sigkeys_public(&req->ctx, keys, &n);
	if (st != ST_OK)
		return st;
	json_t *list = json_array();
	for (int i = 0; i < n; i++) {
		json_t *k = json_object();
		json_object_set_new(k, "kty", json_string("OKP"));
		json_object_set_new(k, "crv", json_string("Ed25519"));
		json_object_set_new(k, "x", json_string(keys[i].x));
		json_object_set_new(k, "kid", json_string(keys[i].kid));
		json_object_set_new(k, "alg", json_string("EdDSA"));
		json_object_set_new(k, "use", json_string("sig"));
		json_array_append_new(list, k);
	}
	json_t *o = json_object();
	json_object_set_new(o, "keys", list);
	reply_header(req, "Cache-Control", WELL_KNOWN_CACHE);
	return reply_json(req, 200, o);
}

enum status api_openid_configuration(struct request *req)
{
	const char *issuer = req->ctx.env->cfg->public_url;
	json_t *o = json_object();
	json_object_set_new(o, "issuer", json_string(issuer));
	json_object_set_new(o, "jwks_uri", json_sprintf("%s/.well-known/jwks.json", issuer));
	json_t *algs = json_array();
	json_array_append_new(algs, json_string("EdDSA"));
	json_object_set_new(o, "id_token_signing_alg_values_supported", algs);
	json_object_set_new(o, "token_endpoint", json_sprintf("%s/auth/token", issuer));
	json_t *subjects = json_array();
	json_array_append_new(subjects, json_string("public"));
	json_object_set_new(o, "subject_types_supported", subjects);
	json_t *types = json_array();
	json_array_append_new(types, json_string("token"));
	json_object_set_new(o, "response_types_supported", types);
	reply_header(req, "Cache-Control", WELL_KNOWN_CACHE);
	return reply_json(req, 200, o);
}
