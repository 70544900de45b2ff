-- 015_publishable_keys: API keys get a type: 'secret' (sk_live_, every key
-- before this migration) or 'publishable' (pk_live_, safe in a browser).
-- A publishable key is not a secret: its full value is kept in
-- publishable_key so GET /api-keys can show it, but authentication still
-- looks every key up by key_hash only. NULL for secret keys.

ALTER TABLE api_keys ADD COLUMN type TEXT NOT NULL DEFAULT 'secret';
ALTER TABLE api_keys ADD COLUMN publishable_key TEXT;

-- Browser settings of a tenant: allowed_origins (CORS and CSRF) and
-- allowed_redirect_urls are JSON arrays of strings (read by core/jsonr.c),
-- validated by core/origin.c on write; cookie_domain is NULL when unset.
ALTER TABLE tenants ADD COLUMN allowed_origins TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tenants ADD COLUMN allowed_redirect_urls TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tenants ADD COLUMN cookie_domain TEXT;
