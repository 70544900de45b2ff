/*
 * test_conntable.c: unit tests for src/http/conntable.c, the listener's
 * connection accounting. Time is the now_ms argument. Pins down the limit
 * fitted to RLIMIT_NOFILE, the total and per-client caps (IPv4 per address,
 * IPv6 per /64, IPv4-mapped IPv6 as IPv4), no drift (a reused descriptor
 * reclaims its stale slot, a double release changes nothing), the header
 * deadline (armed when started, cleared by headers, re-armed after a
 * request, never for pending slots, one drop per connection), a seeded
 * property against a reference model (the seed is printed on failure), and
 * a threaded churn (run it under the sanitizer build).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "check.h"
#include "http/conntable.h"
#include "seeded.h"

static struct sockaddr_storage v4(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	a->sin_family = AF_INET;
	a->sin_port = htons(40000);
	inet_pton(AF_INET, text, &a->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(40000);
	inet_pton(AF_INET6, text, &a->sin6_addr);
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))
#define LEN4 ((socklen_t)sizeof(struct sockaddr_in))
#define LEN6 ((socklen_t)sizeof(struct sockaddr_in6))

static struct conntable *table(int max_fd, int total, int per_ip, int64_t timeout_ms)
{
	struct conntable_limits lim = {max_fd, total, per_ip, timeout_ms};
	return conntable_new(&lim);
}

TEST(test_conntable_capacity_fits_the_descriptor_limit)
{
	CHECK(conntable_capacity(65536, 136, 8192) == 8192);
	CHECK(conntable_capacity(1024, 136, 8192) == 888);
	CHECK(conntable_capacity(8328, 136, 8192) == 8192);
	CHECK(conntable_capacity(8327, 136, 8192) == 8191);
	CHECK(conntable_capacity(100, 136, 8192) == 1); /* never 0 or negative */
}

TEST(test_conntable_refuses_past_the_total_and_counts_a_release)
{
	struct conntable *t = table(64, 3, 100, 1000);
	struct sockaddr_storage a = v4("10.0.0.1"), b = v4("10.0.0.2");
	CHECK(conntable_admit(t, 10, SA(a), LEN4) == CONN_ADMITTED);
	CHECK(conntable_admit(t, 11, SA(b), LEN4) == CONN_ADMITTED);
	CHECK(conntable_admit(t, 12, SA(a), LEN4) == CONN_ADMITTED);
	CHECK(conntable_admit(t, 13, SA(b), LEN4) == CONN_REFUSED_TOTAL);
	CHECK(conntable_total(t) == 3);
	conntable_release(t, 11);
	CHECK(conntable_total(t) == 2);
	CHECK(conntable_admit(t, 13, SA(b), LEN4) == CONN_ADMITTED);
	CHECK(conntable_total(t) == 3);
	conntable_free(t);
}

TEST(test_conntable_caps_one_ipv4_address_and_serves_another)
{
	struct conntable *t = table(1024, 1000, 256, 1000);
	struct sockaddr_storage a = v4("127.0.0.1"), b = v4("127.0.0.2");
	for (int fd = 0; fd < 256; fd++)
		CHECK(conntable_admit(t, fd, SA(a), LEN4) == CONN_ADMITTED);
	CHECK(conntable_admit(t, 256, SA(a), LEN4) == CONN_REFUSED_PER_IP);
	CHECK(conntable_admit(t, 256, SA(b), LEN4) == CONN_ADMITTED);
	CHECK(conntable_per_ip(t, SA(a), LEN4) == 256);
	CHECK(conntable_per_ip(t, SA(b), LEN4) == 1);
	conntable_release(t, 7);
	CHECK(conntable_admit(t, 257, SA(a), LEN4) == CONN_ADMITTED);
	CHECK(conntable_total(t) == 257);
	conntable_free(t);
}

TEST(test_conntable_counts_ipv6_per_slash_64_and_mapped_ipv4_as_ipv4)
{
	struct conntable *t = table(64, 100, 2, 1000);
	struct sockaddr_storage a1 = v6("2001:db8:1:2::1"), a2 = v6("2001:db8:1:2:ffff::9");
	struct sockaddr_storage other = v6("2001:db8:1:3::1");
	CHECK(conntable_admit(t, 1, SA(a1), LEN6) == CONN_ADMITTED);
	CHECK(conntable_admit(t, 2, SA(a2), LEN6) == CONN_ADMITTED);
	CHECK(conntable_admit(t, 3, SA(a1), LEN6) == CONN_REFUSED_PER_IP);
	CHECK(conntable_admit(t, 3, SA(other), LEN6) == CONN_ADMITTED);
	struct sockaddr_storage m = v6("::ffff:192.0.2.7"), p = v4("192.0.2.7");
	CHECK(conntable_admit(t, 4, SA(m), LEN6) == CONN_ADMITTED);
	CHECK(conntable_admit(t, 5, SA(p), LEN4) == CONN_ADMITTED);
	CHECK(conntable_admit(t, 6, SA(p), LEN4) == CONN_REFUSED_PER_IP);
	CHECK(conntable_per_ip(t, SA(m), LEN6) == 2);
	/* ::c000:207 is not the mapped form: another client */
	struct sockaddr_storage compat = v6("::192.0.2.7");
	CHECK(conntable_per_ip(t, SA(compat), LEN6) == 0);
	conntable_free(t);
}

TEST(test_conntable_refuses_descriptors_it_cannot_track_and_non_ip_peers)
{
	struct conntable *t = table(16, 100, 100, 1000);
	struct sockaddr_storage a = v4("10.0.0.1");
	CHECK(conntable_admit(t, 16, SA(a), LEN4) == CONN_REFUSED_FD);
	CHECK(conntable_admit(t, -1, SA(a), LEN4) == CONN_REFUSED_FD);
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	CHECK(conntable_admit(t, 3, (struct sockaddr *)&un, sizeof un) == CONN_REFUSED_FD);
	CHECK(conntable_admit(t, 3, SA(a), 4) == CONN_REFUSED_FD); /* truncated */
	CHECK(conntable_admit(t, 3, NULL, 0) == CONN_REFUSED_FD);
	CHECK(conntable_total(t) == 0);
	/* out-of-range calls are ignored, not crashes */
	conntable_release(t, 99);
	conntable_started(t, -3, 0);
	conntable_headers_done(t, 1 << 30);
	conntable_request_done(t, 16, 0);
	conntable_free(t);
}

TEST(test_conntable_never_drifts_on_reuse_or_double_release)
{
	struct conntable *t = table(64, 100, 100, 1000);
	struct sockaddr_storage a = v4("10.0.0.1"), b = v4("10.0.0.2");
	CHECK(conntable_admit(t, 5, SA(a), LEN4) == CONN_ADMITTED);
	/* fd 5 again from accept(): its old connection closed unannounced */
	CHECK(conntable_admit(t, 5, SA(b), LEN4) == CONN_ADMITTED);
	CHECK(conntable_total(t) == 1);
	CHECK(conntable_per_ip(t, SA(a), LEN4) == 0);
	CHECK(conntable_per_ip(t, SA(b), LEN4) == 1);
	conntable_release(t, 5);
	conntable_release(t, 5);
	conntable_release(t, 6); /* never admitted */
	CHECK(conntable_total(t) == 0);
	CHECK(conntable_per_ip(t, SA(b), LEN4) == 0);
	/* a started, waiting slot reclaimed by reuse leaves the deadline FIFO */
	CHECK(conntable_admit(t, 7, SA(a), LEN4) == CONN_ADMITTED);
	conntable_started(t, 7, 0);
	CHECK(conntable_admit(t, 7, SA(a), LEN4) == CONN_ADMITTED);
	CHECK(conntable_total(t) == 1);
	conntable_free(t);
}

static int dropped[64], ndropped;

static void record_drop(int fd, void *arg)
{
	(void)arg;
	if (ndropped < 64)
		dropped[ndropped++] = fd;
}

static int expire(struct conntable *t, int64_t now)
{
	ndropped = 0;
	return conntable_expire(t, now, record_drop, NULL, 64);
}

TEST(test_conntable_drops_a_connection_whose_headers_are_overdue_once)
{
	struct conntable *t = table(64, 100, 100, 10000);
	struct sockaddr_storage a = v4("10.0.0.1");
	CHECK(conntable_admit(t, 3, SA(a), LEN4) == CONN_ADMITTED);
	CHECK(conntable_admit(t, 4, SA(a), LEN4) == CONN_ADMITTED);
	conntable_started(t, 3, 1000);
	conntable_started(t, 4, 2000);
	CHECK(expire(t, 10999) == 0);
	CHECK(expire(t, 11000) == 1 && dropped[0] == 3);
	CHECK(expire(t, 11500) == 0); /* not dropped twice */
	CHECK(expire(t, 50000) == 1 && dropped[0] == 4);
	CHECK(expire(t, 90000) == 0);
	/* dropped connections still count until MHD reports them closed */
	CHECK(conntable_total(t) == 2);
	conntable_release(t, 3);
	conntable_release(t, 4);
	CHECK(conntable_total(t) == 0);
	conntable_free(t);
}

TEST(test_conntable_headers_clear_the_deadline_and_a_finished_request_rearms_it)
{
	struct conntable *t = table(64, 100, 100, 10000);
	struct sockaddr_storage a = v4("10.0.0.1");
	CHECK(conntable_admit(t, 3, SA(a), LEN4) == CONN_ADMITTED);
	conntable_started(t, 3, 0);
	conntable_headers_done(t, 3);
	CHECK(expire(t, 60000) == 0); /* a long request is not a slow header */
	conntable_request_done(t, 3, 60000);
	CHECK(expire(t, 69999) == 0);
	CHECK(expire(t, 70000) == 1 && dropped[0] == 3);
	/* once dropped, late calls change nothing */
	conntable_headers_done(t, 3);
	conntable_request_done(t, 3, 70000);
	CHECK(expire(t, 99999) == 0);
	conntable_free(t);
}

TEST(test_conntable_pending_slots_never_expire_and_release_leaves_the_fifo)
{
	struct conntable *t = table(64, 100, 100, 1000);
	struct sockaddr_storage a = v4("10.0.0.1");
	CHECK(conntable_admit(t, 3, SA(a), LEN4) == CONN_ADMITTED);
	CHECK(expire(t, 1000000) == 0); /* handed over, not started */
	CHECK(conntable_admit(t, 4, SA(a), LEN4) == CONN_ADMITTED);
	CHECK(conntable_admit(t, 5, SA(a), LEN4) == CONN_ADMITTED);
	CHECK(conntable_admit(t, 6, SA(a), LEN4) == CONN_ADMITTED);
	conntable_started(t, 3, 0);
	conntable_started(t, 4, 0);
	conntable_started(t, 5, 0);
	conntable_started(t, 6, 0);
	conntable_started(t, 6, 5000); /* a second STARTED does not re-arm */
	conntable_release(t, 4); /* middle of the FIFO */
	conntable_release(t, 3); /* head */
	CHECK(expire(t, 1000) == 2 && dropped[0] == 5 && dropped[1] == 6);
	conntable_free(t);
}

TEST(test_conntable_expire_stops_at_max)
{
	struct conntable *t = table(64, 100, 100, 10);
	struct sockaddr_storage a = v4("10.0.0.1");
	for (int fd = 0; fd < 20; fd++) {
		CHECK(conntable_admit(t, fd, SA(a), LEN4) == CONN_ADMITTED);
		conntable_started(t, fd, 0);
	}
	ndropped = 0;
	CHECK(conntable_expire(t, 100, record_drop, NULL, 8) == 8);
	CHECK(dropped[0] == 0 && dropped[7] == 7);
	CHECK(expire(t, 100) == 12 && dropped[0] == 8);
	conntable_free(t);
}

/* Random admits and releases over many addresses against a plain model:
 * per-client counts and the total always agree (this exercises the
 * backward-shift deletion of the per-client table at high churn). */
TEST(test_conntable_property_counts_match_a_model)
{
	uint64_t seed = seeded_start(0xC0FFEEull);
	enum { FDS = 512, IPS = 700, ROUNDS = 200 };
	static int model_ip_of_fd[FDS];
	static int model_count[IPS];
	for (int round = 0; round < ROUNDS; round++) {
		int per_ip = (int)rng_range(1, 6), total_cap = (int)rng_range(16, FDS);
		struct conntable *t = table(FDS, total_cap, per_ip, 1000);
		memset(model_count, 0, sizeof model_count);
		for (int i = 0; i < FDS; i++)
			model_ip_of_fd[i] = -1;
		int total = 0, bad = 0;
		for (int op = 0; op < 3000; op++) {
			int fd = (int)rng_range(0, FDS - 1);
			if (rng_range(0, 2) > 0) {
				int ip = (int)rng_range(0, IPS - 1);
				char text[32];
				snprintf(text, sizeof text, "10.%d.%d.1", ip / 256, ip % 256);
				struct sockaddr_storage a = v4(text);
				if (model_ip_of_fd[fd] >= 0) { /* reuse reclaims */
					model_count[model_ip_of_fd[fd]]--;
					model_ip_of_fd[fd] = -1;
					total--;
				}
				enum conn_verdict want = total >= total_cap ? CONN_REFUSED_TOTAL
							 : model_count[ip] >= per_ip
								 ? CONN_REFUSED_PER_IP
								 : CONN_ADMITTED;
				enum conn_verdict got = conntable_admit(t, fd, SA(a), LEN4);
				bad += got != want;
				if (want == CONN_ADMITTED) {
					model_ip_of_fd[fd] = ip;
					model_count[ip]++;
					total++;
				}
			} else {
				if (model_ip_of_fd[fd] >= 0) {
					model_count[model_ip_of_fd[fd]]--;
					total--;
				}
				model_ip_of_fd[fd] = -1;
				conntable_release(t, fd);
			}
			bad += conntable_total(t) != total;
		}
		for (int ip = 0; ip < IPS; ip += 7) {
			char text[32];
			snprintf(text, sizeof text, "10.%d.%d.1", ip / 256, ip % 256);
			struct sockaddr_storage a = v4(text);
			bad += conntable_per_ip(t, SA(a), LEN4) != model_count[ip];
		}
		conntable_free(t);
		CHECK(bad == 0);
		if (bad != 0) {
			fprintf(stderr, "  seed %llu, round %d: %d mismatches\n",
				(unsigned long long)seed, round, bad);
			return;
		}
	}
}

struct churn {
	struct conntable *t;
	int base;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;
	struct sockaddr_storage a = v4("10.9.9.9");
	for (int i = 0; i < 20000; i++) {
		int fd = c->base + i % 64;
		if (conntable_admit(c->t, fd, SA(a), LEN4) == CONN_ADMITTED) {
			conntable_started(c->t, fd, i);
			conntable_headers_done(c->t, fd);
			conntable_request_done(c->t, fd, i);
			conntable_release(c->t, fd);
		}
	}
	return NULL;
}

static void ignore_drop(int fd, void *arg)
{
	(void)fd;
	(void)arg;
}

TEST(test_conntable_threads_churning_leave_nothing_counted)
{
	struct conntable *t = table(256, 1000, 1000, 5);
	pthread_t th[4];
	struct churn c[4];
	for (int i = 0; i < 4; i++) {
		c[i] = (struct churn){t, i * 64};
		pthread_create(&th[i], NULL, churn_thread, &c[i]);
	}
	for (int i = 0; i < 200; i++)
		conntable_expire(t, 1000000, ignore_drop, NULL, 16);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK(conntable_total(t) == 0);
	struct sockaddr_storage a = v4("10.9.9.9");
	CHECK(conntable_per_ip(t, SA(a), LEN4) == 0);
	conntable_free(t);
}

int main(void)
{
	RUN(test_conntable_capacity_fits_the_descriptor_limit);
	RUN(test_conntable_refuses_past_the_total_and_counts_a_release);
	RUN(test_conntable_caps_one_ipv4_address_and_serves_another);
	RUN(test_conntable_counts_ipv6_per_slash_64_and_mapped_ipv4_as_ipv4);
	RUN(test_conntable_refuses_descriptors_it_cannot_track_and_non_ip_peers);
	RUN(test_conntable_never_drifts_on_reuse_or_double_release);
	RUN(test_conntable_drops_a_connection_whose_headers_are_overdue_once);
	RUN(test_conntable_headers_clear_the_deadline_and_a_finished_request_rearms_it);
	RUN(test_conntable_pending_slots_never_expire_and_release_leaves_the_fifo);
	RUN(test_conntable_expire_stops_at_max);
	RUN(test_conntable_property_counts_match_a_model);
	RUN(test_conntable_threads_churning_leave_nothing_counted);
	return check_done("conntable");
}
