/*
 * test_mail.c: unit tests for src/svc/mail.c's retry policy and
 * src/svc/mail_templates.c. Pure functions only, no clock, no database:
 * backoff growth, jitter bounds, the 1 h cap and the 24 h give-up; HTML
 * escaping of hostile values; link templates and their defaults; the link
 * put into queued bodies at send time in place of MAIL_LINK_MARK.
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "svc/mail.h"
#include "svc/mail_templates.h"

#define HOUR_MS (3600LL * 1000)

TEST(first_retry_is_within_10_seconds_whatever_the_jitter)
{
	CHECK(mail_backoff_ms(1, 0.0) == 5000);
	CHECK(mail_backoff_ms(1, MAIL_JITTER) == 5500);
	CHECK(mail_backoff_ms(1, -MAIL_JITTER) == 4500);
	for (int i = -10; i <= 10; i++) {
		int64_t ms = mail_backoff_ms(1, i / 100.0);
		CHECK(ms >= 4500 && ms <= 5500 && ms <= 10000);
	}
}

TEST(backoff_doubles_per_attempt)
{
	CHECK(mail_backoff_ms(2, 0.0) == 10000);
	CHECK(mail_backoff_ms(3, 0.0) == 20000);
	CHECK(mail_backoff_ms(4, 0.0) == 40000);
	for (int64_t n = 1; n < 10; n++)
		CHECK(mail_backoff_ms(n + 1, 0.0) == 2 * mail_backoff_ms(n, 0.0));
}

TEST(backoff_is_capped_at_one_hour)
{
	CHECK(mail_backoff_ms(10, 0.0) == 5000LL * 512);
	CHECK(mail_backoff_ms(11, 0.0) == HOUR_MS); /* 5 s * 1024 > 1 h */
	CHECK(mail_backoff_ms(11, MAIL_JITTER) == HOUR_MS);
	CHECK(mail_backoff_ms(40, 0.0) == HOUR_MS);
	CHECK(mail_backoff_ms(1000000, MAIL_JITTER) == HOUR_MS);
	CHECK(mail_backoff_ms(INT64_MAX, 0.0) == HOUR_MS);
}

TEST(jitter_is_clamped_to_ten_percent)
{
	CHECK(mail_backoff_ms(1, 5.0) == 5500);
	CHECK(mail_backoff_ms(1, -5.0) == 4500);
	CHECK(mail_backoff_ms(1, NAN) == 4500);
	CHECK(mail_backoff_ms(3, 0.05) == 21000);
	/* attempts below 1 behave as the first */
	CHECK(mail_backoff_ms(0, 0.0) == 5000);
	CHECK(mail_backoff_ms(-3, 0.0) == 5000);
}

TEST(next_attempt_adds_the_backoff_to_now)
{
	int64_t next = 0;
	CHECK(mail_next_attempt(1000, 2000, 1, 0.0, &next));
	CHECK(next == 7000);
	CHECK(mail_next_attempt(1000, 2000, 3, -MAIL_JITTER, &next));
	CHECK(next == 2000 + 18000);
}

TEST(last_retry_lands_on_the_24_hour_deadline_then_gives_up)
{
	int64_t created = 1700000000000LL, next = 0;
	int64_t deadline = created + MAIL_MAX_AGE_MS;
	CHECK(mail_next_attempt(created, deadline - 1000, 30, 0.0, &next));
	CHECK(next == deadline);
	CHECK(!mail_next_attempt(created, deadline, 30, 0.0, &next));
	CHECK(!mail_next_attempt(created, deadline + HOUR_MS, 2, 0.0, &next));
}

TEST(a_message_that_always_fails_is_given_up_after_about_a_day)
{
	/* simulate the whole schedule with the largest and smallest jitter */
	for (int j = -1; j <= 1; j += 2) {
		int64_t created = 0, now = 0, attempt = 0, next = 0;
		for (;;) {
			attempt++;
			if (!mail_next_attempt(created, now, attempt, j * MAIL_JITTER, &next))
				break;
			CHECK(next > now);
			CHECK(next - now <= HOUR_MS);
			now = next;
		}
		CHECK(now == MAIL_MAX_AGE_MS); /* the last attempt ran at 24 h */
		CHECK(attempt >= 25 && attempt <= 40);
	}
}

TEST(html_escape_neutralises_markup_quotes_and_ampersands)
{
	struct arena a;
	arena_init(&a, 1024);
	CHECK_STR(mail_html_escape(&a, "<script>alert('x')</script>"),
		  "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	CHECK_STR(mail_html_escape(&a, "a & b \"c\""), "a &amp; b &quot;c&quot;");
	CHECK_STR(mail_html_escape(&a, "&amp;"), "&amp;amp;");
	CHECK_STR(mail_html_escape(&a, "caf\xc3\xa9"), "caf\xc3\xa9");
	CHECK_STR(mail_html_escape(&a, ""), "");
	CHECK_STR(mail_html_escape(&a, NULL), "");
	arena_destroy(&a);
}

TEST(link_template_substitutes_token_and_invitation_id)
{
	struct arena a;
	arena_init(&a, 1024);
	CHECK_STR(mail_link(&a, "https://x.test/r?t={token}&i={invitation_id}", "abc", "inv_1"),
		  "https://x.test/r?t=abc&i=inv_1");
	CHECK_STR(mail_link(&a, "https://x.test/{token}/again/{token}", "T", NULL),
		  "https://x.test/T/again/T");
	CHECK_STR(mail_link(&a, "https://x.test/?i={invitation_id}", "T", NULL),
		  "https://x.test/?i=");
	CHECK_STR(mail_link(&a, "https://x.test/?t={tok}{token", "T", NULL),
		  "https://x.test/?t={tok}{token");
	/* values are percent-encoded: they cannot add query parameters or markup */
	CHECK_STR(mail_link(&a, "https://x.test/?t={token}", "a b&c=<d>", NULL),
		  "https://x.test/?t=a%20b%26c%3D%3Cd%3E");
	CHECK_STR(mail_link(&a, "https://x.test/?t={token}", "A-z_0.9~", NULL),
		  "https://x.test/?t=A-z_0.9~");
	arena_destroy(&a);
}

TEST(default_link_templates)
{
	struct arena a;
	arena_init(&a, 1024);
	CHECK_STR(mail_link(&a, MAIL_DEFAULT_RESET_URL, "tok", NULL),
		  "http://localhost:3000/reset-password?token=tok");
	CHECK_STR(mail_link(&a, MAIL_DEFAULT_VERIFY_URL, "tok", NULL),
		  "http://localhost:3000/verify-email?token=tok");
	CHECK_STR(mail_link(&a, MAIL_DEFAULT_INVITE_URL, "tok", "inv_9"),
		  "http://localhost:3000/accept-invite?token=tok&invitation_id=inv_9");
	arena_destroy(&a);
}

TEST(app_name_falls_back_to_the_tenant_name)
{
	CHECK_STR(mail_app_name("Shiny", "acme"), "Shiny");
	CHECK_STR(mail_app_name("", "acme"), "acme");
	CHECK_STR(mail_app_name(NULL, "acme"), "acme");
	CHECK_STR(mail_app_name(NULL, NULL), "saasd");
}

TEST(reset_mail_escapes_hostile_app_name_and_address_in_html_only)
{
	struct arena a;
	arena_init(&a, 4096);
	const char *app = "<script>alert(1)</script>";
	const char *to = "o'hara\"&<x>@example.com";
	const char *link = "https://x.test/r?t=TOK&a=1";
	struct mail_content mc;
	mail_render_reset(&a, app, to, link, &mc);
	CHECK_STR(mc.subject, "Reset your <script>alert(1)</script> password");
	CHECK(strstr(mc.text, link) != NULL);
	CHECK(strstr(mc.text, app) != NULL);
	CHECK(strstr(mc.html, "<script>") == NULL);
	CHECK(strstr(mc.html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
	CHECK(strstr(mc.html, "o&#39;hara&quot;&amp;&lt;x&gt;@example.com") != NULL);
	CHECK(strstr(mc.html, "o'hara") == NULL);
	CHECK(strstr(mc.html, "href=\"https://x.test/r?t=TOK&amp;a=1\"") != NULL);
	CHECK(strstr(mc.html, "t=TOK&a=1") == NULL);
	CHECK(strstr(mc.html, "1 hour") != NULL);
	arena_destroy(&a);
}

TEST(verify_mail_carries_the_link_in_text_and_html)
{
	struct arena a;
	arena_init(&a, 4096);
	struct mail_content mc;
	mail_render_verify(&a, "Acme & Co", "bob@example.com", "http://l.test/v?token=T", &mc);
	CHECK_STR(mc.subject, "Confirm your email address for Acme & Co");
	CHECK(strstr(mc.text, "\nhttp://l.test/v?token=T\n") != NULL);
	CHECK(strstr(mc.html, "href=\"http://l.test/v?token=T\"") != NULL);
	CHECK(strstr(mc.html, "Acme &amp; Co") != NULL);
	CHECK(strstr(mc.html, "Acme & Co") == NULL);
	arena_destroy(&a);
}

TEST(invite_mail_escapes_org_and_inviter_and_handles_missing_values)
{
	struct arena a;
	arena_init(&a, 4096);
	struct mail_content mc;
	mail_render_invite(&a, "Acme", "c@example.com", "http://l.test/i?token=T&invitation_id=I",
			   "<i>Org</i>", "Eve \"the boss\"", &mc);
	CHECK_STR(mc.subject, "Eve \"the boss\" invited you to join <i>Org</i> on Acme");
	CHECK(strstr(mc.html, "&lt;i&gt;Org&lt;/i&gt;") != NULL);
	CHECK(strstr(mc.html, "Eve &quot;the boss&quot;") != NULL);
	CHECK(strstr(mc.html, "<i>Org") == NULL);
	CHECK(strstr(mc.text, "7 days") != NULL);
	mail_render_invite(&a, "Acme", "c@example.com", "http://l.test/", NULL, NULL, &mc);
	CHECK_STR(mc.subject, "You are invited to join an organization on Acme");
	CHECK(strstr(mc.text, "Someone invited you (c@example.com) to join an organization") !=
	      NULL);
	arena_destroy(&a);
}

TEST(subject_never_carries_a_line_break)
{
	struct arena a;
	arena_init(&a, 4096);
	struct mail_content mc;
	mail_render_reset(&a, "A\r\nBcc: x@evil.test", "a@b.test", "http://l.test/", &mc);
	CHECK_STR(mc.subject, "Reset your A  Bcc: x@evil.test password");
	arena_destroy(&a);
}

TEST(put_link_replaces_every_mark_and_escapes_the_link_in_html_only)
{
	struct arena a;
	arena_init(&a, 4096);
	const char *link = "https://x.test/r?t=TOK&src=mail";
	struct mail_content mc;
	mail_render_reset(&a, "Acme", "a@b.test", MAIL_LINK_MARK, &mc);
	CHECK(strstr(mc.text, MAIL_LINK_MARK) != NULL && strstr(mc.html, MAIL_LINK_MARK) != NULL);
	char *text = mail_put_link(&a, mc.text, link, false);
	char *html = mail_put_link(&a, mc.html, link, true);
	CHECK(strstr(text, "\n\nhttps://x.test/r?t=TOK&src=mail\n\n") != NULL);
	CHECK(strchr(text, '\x1e') == NULL && strchr(html, '\x1e') == NULL);
	/* the button, the href of the fallback link and its text */
	const char *esc = "https://x.test/r?t=TOK&amp;src=mail";
	int n = 0;
	for (const char *p = html; (p = strstr(p, esc)) != NULL; p++)
		n++;
	CHECK(n == 3);
	CHECK(strstr(html, "TOK&src") == NULL);
	CHECK_STR(mail_put_link(&a, "no mark here", link, false), "no mark here");
	CHECK_STR(mail_put_link(&a, MAIL_LINK_MARK MAIL_LINK_MARK, "L", false), "LL");
	arena_destroy(&a);
}

int main(void)
{
	RUN(first_retry_is_within_10_seconds_whatever_the_jitter);
	RUN(backoff_doubles_per_attempt);
	RUN(backoff_is_capped_at_one_hour);
	RUN(jitter_is_clamped_to_ten_percent);
	RUN(next_attempt_adds_the_backoff_to_now);
	RUN(last_retry_lands_on_the_24_hour_deadline_then_gives_up);
	RUN(a_message_that_always_fails_is_given_up_after_about_a_day);
	RUN(html_escape_neutralises_markup_quotes_and_ampersands);
	RUN(link_template_substitutes_token_and_invitation_id);
	RUN(default_link_templates);
	RUN(app_name_falls_back_to_the_tenant_name);
	RUN(reset_mail_escapes_hostile_app_name_and_address_in_html_only);
	RUN(verify_mail_carries_the_link_in_text_and_html);
	RUN(invite_mail_escapes_org_and_inviter_and_handles_missing_values);
	RUN(subject_never_carries_a_line_break);
	RUN(put_link_replaces_every_mark_and_escapes_the_link_in_html_only);
	return check_done("test_mail");
}
