/*
 * invitations.c: inviting by email, listing, revoking, accepting and
 * rejecting. The invitation mail is queued in the same transaction. State
 * changes are conditional updates, so of two racing accepts one wins and
 * the other gets invitation_not_pending. A re-invite of an email with a
 * pending invitation is refused and changes nothing. Accepting or rejecting
 * needs proof that the caller owns the invited address: the mailed token,
 * or a verified email (registering an address proves nothing).
 */
#include <string.h>

#include "../core/email.h"
#include "../core/ids.h"
#include "../core/secure.h"
#include "../store/tenants.h"
#include "../store/users.h"
#include "billing.h"
#include "events.h"
#include "mail.h"
#include "orgs.h"
#include "sessions.h"

const char *svc_invitation_status(const struct svc_ctx *c, const struct invitation_row *i)
{
	if (strcmp(i->status, "pending") == 0 && i->expires_at <= svc_now(c))
		return "expired";
	return i->status;
}

struct invite {
	const char *org_id, *email, *normalized, *role;
	struct invitation_row *out;
	const char **why; /* out: public message of a refusal */
	bool pending; /* out: the email already has a pending invitation */
};

/* The invitee must not already be a member. */
static enum status not_member(struct svc_ctx *c, struct db *d, const struct invite *iv)
{
	struct user_row u;
	enum status st = store_user_by_email(d, c->arena, c->who.tenant_id, iv->normalized, &u);
	if (st == ST_NOT_FOUND)
		return ST_OK;
	struct member_row m;
	if (st == ST_OK)
		st = store_member_get(d, c->arena, c->who.tenant_id, iv->org_id, u.id, &m);
	if (st == ST_OK)
		return ST_ALREADY_MEMBER;
	return st == ST_NOT_FOUND ? ST_OK : st;
}

static enum status queue_mail(struct svc_ctx *c, struct db *d, const struct invite *iv,
			      const char *token)
{
	struct tenant_row t;
	struct org_row o;
	enum status st = store_tenant_get(d, c->arena, c->who.tenant_id, &t);
	if (st == ST_OK)
		st = store_org_get(d, c->arena, c->who.tenant_id, iv->org_id, &o);
	const char *inviter = NULL;
	if (st == ST_OK && c->who.user_id != NULL) {
		struct user_row u;
		if (store_user_get(d, c->arena, c->who.tenant_id, c->who.user_id, &u) == ST_OK)
			inviter = u.name ? u.name : u.email;
	}
	if (st == ST_OK)
		st = svc_mail_invitation(c, d, &t, iv->email, token, iv->out->id, o.name, inviter);
	return st;
}

/* An unexpired pending invitation of this email blocks a new one (409, and
 * it stays as it is); an expired one is closed as "expired" so that the new
 * one can take its place under the one-pending-per-email index. */
static enum status no_pending(struct svc_ctx *c, struct db *d, struct invite *iv)
{
	struct invitation_row old;
	int64_t now = svc_now(c);
	enum status st = store_invitation_pending(d, c->arena, c->who.tenant_id, iv->org_id,
						  iv->normalized, &old);
	if (st == ST_NOT_FOUND)
		return ST_OK;
	if (st != ST_OK)
		return st;
	if (old.expires_at > now) {
		iv->pending = true;
		*iv->why = "This email already has a pending invitation to the organization; "
			   "revoke it to invite again.";
		return ST_CONFLICT;
	}
	st = store_invitation_expire(d, c->arena, c->who.tenant_id, old.id, now);
	return st == ST_NOT_FOUND ? ST_CONFLICT : st; /* changed meanwhile: run again */
}

static enum status invite_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct invite *iv = arg;
	struct perm_list mine, wanted;
	enum status st = svc_org_authorize_declared(c, d, iv->org_id, NULL, &mine);
	if (st != ST_OK)
		return st;
	st = rbac_role_permissions(c, d, iv->role, &wanted);
	if (st == ST_NOT_FOUND) {
		fields_add(c->arena, c->errors, "role", "unknown_role");
		return ST_VALIDATION_FAILED;
	}
	if (st == ST_OK && !rbac_covers(&mine, &wanted)) {
		*iv->why = RBAC_MSG_GRANT_ABOVE_OWN;
		return ST_FORBIDDEN; /* cannot invite above one's own permissions */
	}
	if (st == ST_OK)
		st = not_member(c, d, iv);
	if (st == ST_OK)
		st = no_pending(c, d, iv);
	if (st != ST_OK)
		return st;
	char token[TOKEN_LEN + 1], hash[SEC_SHA256_HEX_LEN];
	token_generate(token);
	svc_token_hash(c->env, token, hash);
	int64_t now = svc_now(c);
	struct invitation_row *o = iv->out;
	memset(o, 0, sizeof *o);
	o->id = id_new(c->arena, "inv", now);
	o->tenant_id = (char *)c->who.tenant_id;
	o->organization_id = (char *)iv->org_id;
	o->email = (char *)iv->email;
	o->email_normalized = (char *)iv->normalized;
	o->role = (char *)iv->role;
	o->status = "pending";
	o->inviter_id = (char *)c->who.user_id;
	o->expires_at = now + INVITATION_TTL_MS;
	o->created_at = now;
	o->updated_at = now;
	st = store_invitation_insert(d, c->arena, o, hash);
	if (st == ST_OK)
		st = queue_mail(c, d, iv, token);
	if (st == ST_OK)
		st = event_invitation(c, d, "invitation.created", o, NULL);
	sec_wipe(token, sizeof token);
	return st;
}

enum status svc_invitation_create(struct svc_ctx *c, const char *org_id, const char *email,
				  const char *role, struct invitation_row *out, const char **why)
{
	struct invite iv = {
		.org_id = org_id, .role = role ? role : "member", .out = out, .why = why};
	*why = NULL;
	char *trimmed = NULL, *normalized = NULL;
	if (!email_normalize(c->arena, email, &trimmed, &normalized))
		fields_add(c->arena, c->errors, "email", "invalid_format");
	if (!rbac_role_key_valid(iv.role))
		fields_add(c->arena, c->errors, "role", "invalid_format");
	if (c->errors->count > 0)
		return ST_VALIDATION_FAILED;
	iv.email = trimmed;
	iv.normalized = normalized;
	/* Two concurrent invites of one address can both find no pending
	 * invitation (PostgreSQL, READ COMMITTED); the loser's insert then hits
	 * the one-pending index. Run again, it finds the winner's invitation and
	 * answers 409, as a sequential re-invite would. */
	enum status st = ST_CONFLICT;
	for (int attempt = 0; attempt < 3 && st == ST_CONFLICT && !iv.pending; attempt++)
		st = svc_in_tx(c, invite_in, &iv);
	return st;
}

enum status svc_invitation_list(struct svc_ctx *c, const char *org_id, const struct page *pg,
				struct invitation_row **rows, int *n, bool *with_email)
{
	*with_email = false;
	struct db *d = store_acquire(c->env->store);
	if (d == NULL)
		return ST_UNAVAILABLE;
	struct perm_list mine;
	enum status st = svc_org_authorize_declared(c, d, org_id, NULL, &mine);
	if (st == ST_OK) {
		/* who is invited is for those who may invite: others could register
		 * the address first */
		*with_email = rbac_allows(&mine, "members:invite");
		st = store_invitation_list(d, c->arena, c->who.tenant_id, org_id, pg->after,
					   pg->limit, rows, n);
	}
	store_release(c->env->store, d);
	return st;
}

/* Load an invitation of this tenant by id (404 otherwise). */
static enum status load(struct svc_ctx *c, struct db *d, const char *id, struct invitation_row *out)
{
	if (!id_valid(id, "inv"))
		return ST_NOT_FOUND;
	return store_invitation_get(d, c->arena, c->who.tenant_id, id, out);
}

static enum status transition(struct svc_ctx *c, struct db *d, const char *id, const char *to)
{
	enum status st =
		store_invitation_transition(d, c->arena, c->who.tenant_id, id, to, svc_now(c));
	return st == ST_NOT_FOUND ? ST_INVITATION_NOT_PENDING : st;
}

static enum status revoke_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct invitation_row inv;
	enum status st = load(c, d, arg, &inv);
	if (st == ST_OK)
		st = svc_org_authorize_declared(c, d, inv.organization_id, NULL, NULL);
	return st == ST_OK ? transition(c, d, inv.id, "revoked") : st;
}

enum status svc_invitation_revoke(struct svc_ctx *c, const char *id)
{
	return svc_in_tx(c, revoke_in, (void *)id);
}

/* The session user, who must be the invitee (same normalized email). */
static enum status invitee(struct svc_ctx *c, struct db *d, const struct invitation_row *inv,
			   struct user_row *u)
{
	if (c->who.user_id == NULL)
		return ST_INVALID_SESSION;
	enum status st = store_user_get(d, c->arena, c->who.tenant_id, c->who.user_id, u);
	if (st == ST_NOT_FOUND)
		return ST_INVALID_SESSION;
	char *trimmed, *normalized;
	if (st == ST_OK && (!email_normalize(c->arena, u->email, &trimmed, &normalized) ||
			    strcmp(normalized, inv->email_normalized) != 0))
		return ST_NOT_FOUND; /* someone else's invitation: do not reveal it */
	return st;
}

/* The invitee proves they own the invited address: with token (from the
 * mailed link; compared by its hash, in constant time) or, without one,
 * through a verified email. A wrong token is refused even for a verified
 * user. Either way the refusal is ST_FORBIDDEN and says no more. */
static enum status owns_address(struct svc_ctx *c, const struct invitation_row *inv,
				const struct user_row *u, const char *token)
{
	if (token == NULL)
		return u->email_verified ? ST_OK : ST_FORBIDDEN;
	char hash[SEC_SHA256_HEX_LEN];
	svc_token_hash(c->env, token, hash);
	bool ok = inv->token_hash != NULL && sec_str_equal(hash, inv->token_hash);
	sec_wipe(hash, sizeof hash);
	return ok ? ST_OK : ST_FORBIDDEN;
}

/* Load the invitation and check the caller is its proven invitee. */
static enum status load_for_invitee(struct svc_ctx *c, struct db *d, const char *id,
				    const char *token, struct invitation_row *inv,
				    struct user_row *u)
{
	enum status st = load(c, d, id, inv);
	if (st == ST_OK)
		st = invitee(c, d, inv, u);
	if (st == ST_OK)
		st = owns_address(c, inv, u, token);
	return st;
}

struct accept {
	const char *id, *token;
	struct member_row *out;
};

static enum status accept_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct accept *ac = arg;
	struct invitation_row inv;
	struct user_row u;
	enum status st = load_for_invitee(c, d, ac->id, ac->token, &inv, &u);
	if (st == ST_OK)
		st = transition(c, d, inv.id, "accepted");
	if (st != ST_OK)
		return st;
	struct member_row *m = ac->out;
	memset(m, 0, sizeof *m);
	m->id = id_new(c->arena, "mem", svc_now(c));
	m->organization_id = inv.organization_id;
	m->user_id = u.id;
	m->role = inv.role;
	m->created_at = svc_now(c);
	m->user = u;
	st = store_member_insert(d, c->arena, c->who.tenant_id, m);
	if (st == ST_CONFLICT)
		return ST_ALREADY_MEMBER;
	/* counted after the insert, under the same transaction: racing accepts
	 * on SQLite are serialised by the write lock, on PostgreSQL by the
	 * organization row lock taken here */
	if (st == ST_OK)
		st = store_org_lock(d, c->arena, c->who.tenant_id, inv.organization_id, svc_now(c));
	if (st == ST_OK)
		st = billing_check_seats(c, d, inv.organization_id);
	if (st == ST_OK)
		st = event_invitation(c, d, "invitation.accepted", &inv, u.id);
	if (st == ST_OK)
		st = event_member(c, d, "organization.member_added", inv.organization_id, u.id,
				  inv.role);
	return st;
}

enum status svc_invitation_accept(struct svc_ctx *c, const char *id, const char *token,
				  struct member_row *out)
{
	struct accept ac = {id, token, out};
	return svc_in_tx(c, accept_in, &ac);
}

struct reject {
	const char *id, *token;
	struct invitation_row *out;
};

static enum status reject_in(struct svc_ctx *c, struct db *d, void *arg)
{
	struct reject *rj = arg;
	struct user_row u;
	enum status st = load_for_invitee(c, d, rj->id, rj->token, rj->out, &u);
	if (st == ST_OK)
		st = transition(c, d, rj->out->id, "rejected");
	if (st == ST_OK)
		rj->out->status = "rejected";
	return st;
}

enum status svc_invitation_reject(struct svc_ctx *c, const char *id, const char *token,
				  struct invitation_row *out)
{
	struct reject rj = {id, token, out};
	return svc_in_tx(c, reject_in, &rj);
}
