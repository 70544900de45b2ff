-- 016_signing_keys: the Ed25519 keys that sign access tokens (svc/signing_keys.c).
-- id is the key's kid (RFC 7638 thumbprint); public_key is the JWK "x"
-- (base64url); private_box is the 64-byte secret key sealed with a key
-- derived from JWT_SECRET (core/secure sec_box, bound to the id). One row is
-- 'current' (the partial unique index makes a second one a conflict, so two
-- nodes creating the first key at once end with exactly one); the others are
-- 'previous', served in the JWKS until their tokens have expired.

CREATE TABLE signing_keys (
    id          TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL,
    private_box TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);

CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current';

-- Session token rotation (POST /auth/session/refresh): the token before the
-- last refresh, hashed like token_hash, and when it was replaced. It still
-- authenticates for 30 s; after that its use revokes the session.
ALTER TABLE sessions ADD COLUMN prev_token_hash TEXT;
ALTER TABLE sessions ADD COLUMN rotated_at BIGINT;
CREATE INDEX sessions_by_prev_token_hash ON sessions (prev_token_hash);
