/*
 * signing_keys.c: the access-token signing keys. Rotation is one
 * transaction: retire the current key (a conditional UPDATE, so of two
 * racing rotations only one finds it) and insert the new one (the partial
 * unique index refuses a second current key).
 */
#include "signing_keys.h"

enum status store_signing_key_insert(struct db *d, struct arena *a, const struct signing_key_row *k)
{
	struct db_param p[5] = {db_text(k->id), db_text(k->public_key), db_text(k->private_box),
				db_text(k->state), db_int(k->created_at)};
	return db_query(d, a,
			"INSERT INTO signing_keys (id, public_key, private_box, state, created_at)"
			" VALUES ($1, $2, $3, $4, $5)",
			p, 5, NULL, NULL);
}

enum status store_signing_keys_live(struct db *d, struct arena *a, int64_t since_ms,
				    struct signing_key_row **out, int *n)
{
	struct db_param p[1] = {db_int(since_ms)};
	struct db_result r;
	enum status st = db_query(
		d, a,
		"SELECT id, public_key, private_box, state, created_at, retired_at FROM "
		"signing_keys"
		" WHERE state = 'current' OR retired_at >= $1"
		" ORDER BY CASE WHEN state = 'current' THEN 0 ELSE 1 END, created_at DESC, id"
		" LIMIT 20",
		p, 1, &r, NULL);
	if (st != ST_OK)
		return st;
	*n = r.nrows;
	*out = arena_alloc(a, sizeof **out * (size_t)(r.nrows + 1));
	for (int i = 0; i < r.nrows; i++) {
		struct signing_key_row *k = &(*out)[i];
		k->id = (char *)db_cell(&r, i, 0);
		k->public_key = (char *)db_cell(&r, i, 1);
		k->private_box = (char *)db_cell(&r, i, 2);
		k->state = (char *)db_cell(&r, i, 3);
		k->created_at = db_cell_int(&r, i, 4);
		k->retired_at = db_cell_null(&r, i, 5) ? 0 : db_cell_int(&r, i, 5);
	}
	return ST_OK;
}

enum status store_signing_key_retire(struct db *d, struct arena *a, int64_t created_before,
				     int64_t now_ms, bool *retired)
{
	struct db_param p[2] = {db_int(created_before), db_int(now_ms)};
	int64_t affected = 0;
	enum status st = db_query(d, a,
				  "UPDATE signing_keys SET state = 'previous', retired_at = $2"
				  " WHERE state = 'current' AND created_at <= $1",
				  p, 2, NULL, &affected);
	*retired = st == ST_OK && affected > 0;
	return st;
}
