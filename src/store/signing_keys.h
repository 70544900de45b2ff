/*
 * signing_keys.h: rows of the access-token signing keys (migration 016). Not
 * tenant-owned: one key signs for every tenant (the tenant is the token's
 * aud). The private key is only ever stored sealed (svc/signing_keys.c).
 */
#ifndef SAASD_STORE_SIGNING_KEYS_H
#define SAASD_STORE_SIGNING_KEYS_H

#include "store.h"

struct signing_key_row {
	char *id; /* kid */
	char *public_key; /* base64url */
	char *private_box; /* sec_box of the secret key */
	char *state; /* current | previous */
	int64_t created_at;
	int64_t retired_at; /* 0 for the current key */
};

/* ST_CONFLICT when a current key exists already (row.state "current"). */
enum status store_signing_key_insert(struct db *d, struct arena *a,
				     const struct signing_key_row *k);
/* The current key and the previous keys retired at or after since_ms,
 * current first. */
enum status store_signing_keys_live(struct db *d, struct arena *a, int64_t since_ms,
				    struct signing_key_row **out, int *n);
/* Make the current key previous (retired_at now_ms) when it was created at
 * or before created_before (INT64_MAX: whatever its age); *retired is
 * whether a key was retired. The caller inserts the new current key in the
 * same transaction. */
enum status store_signing_key_retire(struct db *d, struct arena *a, int64_t created_before,
				     int64_t now_ms, bool *retired);

#endif
