-- 008_outbox_secrets: no usable token at rest in the outbox. A queued mail's
-- bodies hold a placeholder where the link goes; the link itself (it carries
-- the one-time token) is kept encrypted in link_box, base64 of nonce and
-- ciphertext (svc/mail.c), and put into the bodies at send time. Sent and
-- failed rows keep no bodies and no link_box; the cleanup job deletes them
-- after 7 days. Rows from before this migration already sent lose their bodies.

ALTER TABLE email_outbox ADD COLUMN link_box TEXT;

UPDATE email_outbox SET text_body = '', html_body = NULL WHERE status <> 'pending';
