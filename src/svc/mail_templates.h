/*
 * mail_templates.h: the words of every transactional mail (subject, text,
 * HTML) and the link built from a tenant's URL template. Pure functions:
 * no I/O, results in the arena. Every user- or tenant-supplied value put
 * into HTML goes through mail_html_escape, links included.
 */
#ifndef SAASD_SVC_MAIL_TEMPLATES_H
#define SAASD_SVC_MAIL_TEMPLATES_H

#include <stdbool.h>

#include "../core/arena.h"

/* Link templates used when the tenant has none (documented in API.md). */
#define MAIL_DEFAULT_RESET_URL "http://localhost:3000/reset-password?token={token}"
#define MAIL_DEFAULT_VERIFY_URL "http://localhost:3000/verify-email?token={token}"
#define MAIL_DEFAULT_INVITE_URL \
	"http://localhost:3000/accept-invite?token={token}&invitation_id={invitation_id}"

/*
 * Queued bodies are rendered with this mark where the link goes (the link
 * carries a one-time token and is kept encrypted apart): control characters,
 * so no value that passed text_valid can contain it. mail_put_link replaces
 * every mark in body by link, HTML-escaped when html is true.
 */
#define MAIL_LINK_MARK "\x1e{saasd:link}\x1e"

char *mail_put_link(struct arena *a, const char *body, const char *link, bool html);

struct mail_content {
	char *subject; /* one line */
	char *text; /* plain text, LF line ends */
	char *html; /* a complete HTML document */
};

/* s with & < > " ' replaced by entities. */
char *mail_html_escape(struct arena *a, const char *s);
/* tmpl with every {token} and {invitation_id} replaced by the value,
 * percent-encoded outside [A-Za-z0-9-._~]; NULL values count as "". */
char *mail_link(struct arena *a, const char *tmpl, const char *token, const char *invitation_id);
/* The app name shown in mails: app_name when set and non-empty, else name. */
const char *mail_app_name(const char *app_name, const char *tenant_name);

void mail_render_reset(struct arena *a, const char *app, const char *to, const char *link,
		       struct mail_content *out);
void mail_render_verify(struct arena *a, const char *app, const char *to, const char *link,
			struct mail_content *out);
/* org may be NULL ("an organization"); inviter may be NULL. */
void mail_render_invite(struct arena *a, const char *app, const char *to, const char *link,
			const char *org, const char *inviter, struct mail_content *out);

#endif
