/*
 * mail_templates.c: subject, text and HTML of the reset, verification and
 * invitation mails. Values from users and tenants are escaped once, right
 * where they enter HTML (esc()); text bodies carry them as they are, and
 * subjects lose any control character so they stay one header line.
 */
#include "mail_templates.h"

#include <string.h>

#include "../core/secure.h"

char *mail_html_escape(struct arena *a, const char *s)
{
	if (s == NULL)
		return arena_strdup(a, "");
	size_t n = 0;
	for (const char *p = s; *p; p++)
		n += (*p == '&' || *p == '"' || *p == '\'') ? 6 : (*p == '<' || *p == '>') ? 4 : 1;
	char *out = arena_alloc(a, n + 1);
	char *o = out;
	for (const char *p = s; *p; p++) {
		const char *rep = NULL;
		switch (*p) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			*o++ = *p;
			continue;
		}
		size_t rl = strlen(rep);
		memcpy(o, rep, rl);
		o += rl;
	}
	*o = '\0';
	return out;
}

char *mail_put_link(struct arena *a, const char *body, const char *link, bool html)
{
	static const char mark[] = MAIL_LINK_MARK;
	const size_t ml = sizeof mark - 1;
	const char *l = html ? mail_html_escape(a, link) : link;
	size_t ll = strlen(l), marks = 0;
	for (const char *p = body; (p = strstr(p, mark)) != NULL; p += ml)
		marks++;
	char *out = arena_alloc(a, strlen(body) + marks * ll + 1);
	char *o = out;
	for (const char *p = body;;) {
		const char *next = strstr(p, mark);
		size_t n = next ? (size_t)(next - p) : strlen(p);
		memcpy(o, p, n);
		o += n;
		if (next == NULL)
			break;
		memcpy(o, l, ll);
		o += ll;
		p = next + ml;
	}
	*o = '\0';
	if (html)
		sec_wipe((char *)l, ll); /* a copy of the link: only out keeps it */
	return out;
}

static bool unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* Percent-encoded copy of v appended at *o (room for 3 bytes per byte). */
static void put_encoded(char **o, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)(v ? v : ""); *p; p++) {
		if (unreserved(*p)) {
			*(*o)++ = (char)*p;
		} else {
			*(*o)++ = '%';
			*(*o)++ = hex[*p >> 4];
			*(*o)++ = hex[*p & 15];
		}
	}
}

char *mail_link(struct arena *a, const char *tmpl, const char *token, const char *invitation_id)
{
	static const char k_token[] = "{token}", k_inv[] = "{invitation_id}";
	size_t vmax = (token ? strlen(token) : 0) + (invitation_id ? strlen(invitation_id) : 0);
	size_t holes = 0;
	for (const char *p = tmpl; (p = strchr(p, '{')) != NULL; p++)
		holes++;
	char *out = arena_alloc(a, strlen(tmpl) + holes * vmax * 3 + 1);
	char *o = out;
	for (const char *p = tmpl; *p;) {
		if (strncmp(p, k_token, sizeof k_token - 1) == 0) {
			put_encoded(&o, token);
			p += sizeof k_token - 1;
		} else if (strncmp(p, k_inv, sizeof k_inv - 1) == 0) {
			put_encoded(&o, invitation_id);
			p += sizeof k_inv - 1;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

const char *mail_app_name(const char *app_name, const char *tenant_name)
{
	if (app_name != NULL && app_name[0] != '\0')
		return app_name;
	return tenant_name != NULL && tenant_name[0] != '\0' ? tenant_name : "saasd";
}

/* A subject is one header line: control characters become spaces. */
static char *one_line(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return s;
}

static char *esc(struct arena *a, const char *s)
{
	return mail_html_escape(a, s);
}

/*
 * The one HTML frame. intro and outro are HTML fragments whose values the
 * caller escaped; title, app, link and button are plain text escaped here.
 */
static char *html_page(struct arena *a, const char *title, const char *app, const char *intro,
		       const char *link, const char *button, const char *outro)
{
	const char *l = esc(a, link);
	return arena_printf(
		a,
		"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width\">\n<title>%s</title>\n"
		"</head>\n<body style=\"margin:0;padding:24px;background:#f4f4f5;"
		"font-family:Helvetica,Arial,sans-serif;color:#18181b;line-height:1.5\">\n"
		"<div style=\"max-width:560px;margin:0 auto;background:#ffffff;padding:32px;"
		"border-radius:8px\">\n"
		"<p style=\"font-size:18px;font-weight:bold;margin:0 0 16px\">%s</p>\n%s"
		"<p style=\"margin:24px 0\"><a href=\"%s\" style=\"background:#2563eb;"
		"color:#ffffff;padding:12px 20px;border-radius:6px;text-decoration:none;"
		"display:inline-block\">%s</a></p>\n"
		"<p style=\"font-size:13px;color:#52525b\">If the button does not work, copy "
		"this link into your browser:<br>\n<a href=\"%s\" style=\"color:#2563eb;"
		"word-break:break-all\">%s</a></p>\n%s</div>\n</body>\n</html>\n",
		esc(a, title), esc(a, app), intro, l, esc(a, button), l, l, outro);
}

void mail_render_reset(struct arena *a, const char *app, const char *to, const char *link,
		       struct mail_content *out)
{
	out->subject = one_line(arena_printf(a, "Reset your %s password", app));
	out->text = arena_printf(
		a,
		"Hello,\n\n"
		"someone asked to reset the password of the %s account for %s.\n"
		"To choose a new password, open this link (it works once and expires in 1 "
		"hour):\n\n"
		"%s\n\n"
		"If you did not ask for this, ignore this email: your password stays as it is.\n\n"
		"%s\n",
		app, to, link, app);
	const char *intro = arena_printf(
		a,
		"<p>Hello,</p>\n<p>someone asked to reset the password of the %s account for "
		"%s. To choose a new password, use the button below. The link works once and "
		"expires in 1 hour.</p>\n",
		esc(a, app), esc(a, to));
	const char *outro = "<p style=\"font-size:13px;color:#52525b\">If you did not ask for "
			    "this, ignore this email: your password stays as it is.</p>\n";
	out->html = html_page(a, out->subject, app, intro, link, "Choose a new password", outro);
}

void mail_render_verify(struct arena *a, const char *app, const char *to, const char *link,
			struct mail_content *out)
{
	out->subject = one_line(arena_printf(a, "Confirm your email address for %s", app));
	out->text = arena_printf(
		a,
		"Hello,\n\n"
		"please confirm that %s is your email address for %s by opening this link:\n\n"
		"%s\n\n"
		"If you did not create an account with %s, ignore this email.\n\n"
		"%s\n",
		to, app, link, app, app);
	const char *intro = arena_printf(
		a, "<p>Hello,</p>\n<p>please confirm that %s is your email address for %s.</p>\n",
		esc(a, to), esc(a, app));
	const char *outro = arena_printf(
		a,
		"<p style=\"font-size:13px;color:#52525b\">If you did not create an account "
		"with %s, ignore this email.</p>\n",
		esc(a, app));
	out->html = html_page(a, out->subject, app, intro, link, "Confirm email address", outro);
}

void mail_render_invite(struct arena *a, const char *app, const char *to, const char *link,
			const char *org, const char *inviter, struct mail_content *out)
{
	const char *o = org != NULL && org[0] != '\0' ? org : "an organization";
	bool by = inviter != NULL && inviter[0] != '\0';
	out->subject =
		one_line(by ? arena_printf(a, "%s invited you to join %s on %s", inviter, o, app)
			    : arena_printf(a, "You are invited to join %s on %s", o, app));
	out->text =
		arena_printf(a,
			     "Hello,\n\n"
			     "%s invited you (%s) to join %s on %s.\n"
			     "To accept the invitation, open this link (it expires in 7 days):\n\n"
			     "%s\n\n"
			     "If you were not expecting this invitation, ignore this email.\n\n"
			     "%s\n",
			     by ? inviter : "Someone", to, o, app, link, app);
	const char *intro = arena_printf(
		a,
		"<p>Hello,</p>\n<p>%s invited you (%s) to join <strong>%s</strong> on %s. "
		"The invitation expires in 7 days.</p>\n",
		esc(a, by ? inviter : "Someone"), esc(a, to), esc(a, o), esc(a, app));
	const char *outro = "<p style=\"font-size:13px;color:#52525b\">If you were not "
			    "expecting this invitation, ignore this email.</p>\n";
	out->html = html_page(a, out->subject, app, intro, link, "Accept invitation", outro);
}
