/*
 * test_secure.c: unit tests for src/core/secure.c. Pins the wrappers to
 * published test vectors (FIPS 180-2 SHA-256, RFC 4231 HMAC-SHA256, RFC 4648
 * base64) and checks comparison, hex and base64 round trips and refusals,
 * and the shape of random output; key derivation and the sealed box
 * (round trip, and refusal of another key, another ad or a changed byte);
 * base64url without padding and Ed25519 against RFC 8037 appendix A.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/secure.h"

static const char *hex_of(const uint8_t *b, size_t n)
{
	static char out[2 * 64 + 1];
	sec_hex(b, n, out);
	return out;
}

static const char *sha256_hex(const void *data, size_t len)
{
	uint8_t d[SEC_SHA256_LEN];
	sec_sha256(data, len, d);
	return hex_of(d, sizeof d);
}

static const char *hmac_hex(const void *key, size_t keylen, const char *msg)
{
	uint8_t d[SEC_SHA256_LEN];
	sec_hmac_sha256(key, keylen, msg, strlen(msg), d);
	return hex_of(d, sizeof d);
}

TEST(test_secure_sha256_matches_fips_vectors)
{
	CHECK_STR(sha256_hex("", 0),
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_STR(sha256_hex("abc", 3),
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	CHECK_STR(sha256_hex(two, strlen(two)),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	char *million = malloc(1000000);
	memset(million, 'a', 1000000);
	CHECK_STR(sha256_hex(million, 1000000),
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

TEST(test_secure_sha256_hashes_exactly_len_bytes)
{
	/* embedded NULs count; trailing bytes past len do not */
	const char buf[] = "abc\0def";
	char first3[SEC_SHA256_HEX_LEN], all7[SEC_SHA256_HEX_LEN];
	snprintf(first3, sizeof first3, "%s", sha256_hex(buf, 3));
	snprintf(all7, sizeof all7, "%s", sha256_hex(buf, 7));
	CHECK_STR(first3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK(strcmp(all7, first3) != 0);
}

TEST(test_secure_hmac_sha256_matches_rfc4231_case_1)
{
	uint8_t key[20];
	memset(key, 0x0b, sizeof key);
	CHECK_STR(hmac_hex(key, sizeof key, "Hi There"),
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(test_secure_hmac_sha256_matches_rfc4231_case_2)
{
	CHECK_STR(hmac_hex("Jefe", 4, "what do ya want for nothing?"),
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(test_secure_hmac_sha256_hashes_keys_longer_than_a_block_rfc4231_cases_6_7)
{
	uint8_t key[131];
	memset(key, 0xaa, sizeof key);
	CHECK_STR(
		hmac_hex(key, sizeof key, "Test Using Larger Than Block-Size Key - Hash Key First"),
		"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	CHECK_STR(hmac_hex(key, sizeof key,
			   "This is a test using a larger than block-size key and a larger than "
			   "block-size data. The key needs to be hashed before being used by the "
			   "HMAC algorithm."),
		  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(test_secure_hmac_sha256_depends_on_key_and_message)
{
	char a[SEC_SHA256_HEX_LEN], b[SEC_SHA256_HEX_LEN], c[SEC_SHA256_HEX_LEN];
	snprintf(a, sizeof a, "%s", hmac_hex("k1", 2, "msg"));
	snprintf(b, sizeof b, "%s", hmac_hex("k2", 2, "msg"));
	snprintf(c, sizeof c, "%s", hmac_hex("k1", 2, "msh"));
	CHECK(strcmp(a, b) != 0);
	CHECK(strcmp(a, c) != 0);
	CHECK_STR(hmac_hex("k1", 2, "msg"), a); /* deterministic */
}

TEST(test_secure_equal_compares_all_n_bytes)
{
	uint8_t x[32], y[32];
	memset(x, 0x42, sizeof x);
	memcpy(y, x, sizeof y);
	CHECK(sec_equal(x, y, sizeof x));
	y[31] ^= 1;
	CHECK(!sec_equal(x, y, sizeof x));
	CHECK(sec_equal(x, y, 31)); /* only n bytes are compared */
	y[31] ^= 1;
	y[0] ^= 0x80;
	CHECK(!sec_equal(x, y, sizeof x));
	CHECK(sec_equal(x, y, 0));
}

TEST(test_secure_str_equal_needs_same_length_and_content)
{
	CHECK(sec_str_equal("token-abc", "token-abc"));
	CHECK(sec_str_equal("", ""));
	CHECK(!sec_str_equal("token-abc", "token-abd"));
	CHECK(!sec_str_equal("token-abc", "token-ab"));
	CHECK(!sec_str_equal("token-ab", "token-abc"));
	CHECK(!sec_str_equal("", "x"));
	CHECK(!sec_str_equal("x", ""));
	CHECK(!sec_str_equal("Token-abc", "token-abc")); /* case matters */
}

TEST(test_secure_hex_is_lowercase_two_digits_per_byte)
{
	const uint8_t b[] = {0x00, 0xff, 0x10, 0xab, 0x09, 0xCD};
	char out[2 * sizeof b + 1];
	memset(out, '#', sizeof out);
	sec_hex(b, sizeof b, out);
	CHECK_STR(out, "00ff10ab09cd");
	char empty[1] = {'#'};
	sec_hex(b, 0, empty);
	CHECK_STR(empty, "");
}

TEST(test_secure_unhex_round_trips_and_accepts_uppercase)
{
	uint8_t in[SEC_SHA256_LEN], back[SEC_SHA256_LEN];
	sec_random(in, sizeof in);
	char hex[SEC_SHA256_HEX_LEN];
	sec_hex(in, sizeof in, hex);
	CHECK(sec_unhex(hex, back, sizeof back));
	CHECK(memcmp(in, back, sizeof in) == 0);
	uint8_t two[2];
	CHECK(sec_unhex("ABcd", two, 2));
	CHECK(two[0] == 0xab && two[1] == 0xcd);
	CHECK(sec_unhex("", two, 0));
}

TEST(test_secure_unhex_refuses_wrong_length_or_non_hex)
{
	uint8_t out[4];
	CHECK(!sec_unhex("0011223", out, 4)); /* odd, too short */
	CHECK(!sec_unhex("001122", out, 4)); /* too short */
	CHECK(!sec_unhex("0011223344", out, 4)); /* too long */
	CHECK(!sec_unhex("0011223g", out, 4));
	CHECK(!sec_unhex("00 11223", out, 4));
	CHECK(!sec_unhex("0x112233", out, 4));
	CHECK(!sec_unhex("00:11:22", out, 4));
	CHECK(!sec_unhex("-0112233", out, 4));
}

TEST(test_secure_base64_matches_rfc4648_vectors)
{
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""},
		 {"f", "Zg=="},
		 {"fo", "Zm8="},
		 {"foo", "Zm9v"},
		 {"foob", "Zm9vYg=="},
		 {"fooba", "Zm9vYmE="},
		 {"foobar", "Zm9vYmFy"}};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t n = strlen(v[i].in);
		size_t cap = sec_base64_len(n);
		CHECK(cap == strlen(v[i].out) + 1);
		char out[16];
		sec_base64((const uint8_t *)v[i].in, n, out, cap);
		CHECK_STR(out, v[i].out);
		uint8_t back[16];
		size_t got = 99;
		CHECK(sec_base64_decode(v[i].out, back, sizeof back, &got));
		CHECK(got == n && memcmp(back, v[i].in, n) == 0);
	}
	/* the standard alphabet uses + and / (not - and _) */
	const uint8_t hi[] = {0xfb, 0xff, 0xbf};
	char out[8];
	sec_base64(hi, sizeof hi, out, sizeof out);
	CHECK_STR(out, "+/+/");
}

TEST(test_secure_base64_round_trips_random_bytes_of_every_small_length)
{
	uint8_t in[100], back[100];
	char enc[200];
	bool ok = true;
	for (size_t n = 0; n <= sizeof in; n++) {
		sec_random(in, n);
		sec_base64(in, n, enc, sec_base64_len(n));
		size_t got = 0;
		ok = ok && strlen(enc) + 1 == sec_base64_len(n);
		ok = ok && sec_base64_decode(enc, back, sizeof back, &got) && got == n &&
		     memcmp(in, back, n) == 0;
	}
	CHECK(ok);
}

TEST(test_secure_base64_decode_refuses_bad_input_and_overflow)
{
	uint8_t out[16];
	size_t got;
	CHECK(!sec_base64_decode("Zm9v!", out, sizeof out, &got));
	CHECK(!sec_base64_decode("Zm9-", out, sizeof out, &got)); /* url-safe alphabet */
	CHECK(!sec_base64_decode("Zm9vYg", out, sizeof out, &got)); /* padding required */
	CHECK(!sec_base64_decode("Zm9vYg=", out, sizeof out, &got));
	CHECK(!sec_base64_decode("Zm 9v", out, sizeof out, &got));
	CHECK(!sec_base64_decode("Zm9v\n", out, sizeof out, &got));
	CHECK(!sec_base64_decode("Zg==Zg==", out, sizeof out, &got));
	CHECK(!sec_base64_decode("Zg==x", out, sizeof out, &got));
	/* "foobar" needs 6 bytes: a 5-byte buffer is refused, not overrun */
	CHECK(!sec_base64_decode("Zm9vYmFy", out, 5, &got));
	CHECK(sec_base64_decode("Zm9vYmFy", out, 6, &got) && got == 6);
}

TEST(test_secure_random_fills_and_differs)
{
	uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
	sec_random(a, sizeof a);
	sec_random(b, sizeof b);
	CHECK(memcmp(a, zero, sizeof a) != 0);
	CHECK(memcmp(a, b, sizeof a) != 0);
}

TEST(test_secure_uniform_stays_below_upper_and_covers_the_range)
{
	int seen[10] = {0};
	bool in_range = true;
	for (int i = 0; i < 2000; i++) {
		uint32_t v = sec_uniform(10);
		in_range = in_range && v < 10;
		if (v < 10)
			seen[v]++;
	}
	CHECK(in_range);
	for (int i = 0; i < 10; i++)
		CHECK(seen[i] > 0);
	CHECK(sec_uniform(1) == 0);
}

TEST(test_secure_random_base62_has_length_alphabet_and_terminator)
{
	char s[65];
	memset(s, '#', sizeof s);
	sec_random_base62(s, 64);
	CHECK(strlen(s) == 64);
	bool ok = true;
	for (int i = 0; i < 64; i++)
		ok = ok && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') ||
			    (s[i] >= 'a' && s[i] <= 'z'));
	CHECK(ok);
	char one[1] = {'#'};
	sec_random_base62(one, 0);
	CHECK_STR(one, "");
}

TEST(test_secure_wipe_zeroes_the_buffer)
{
	char secret[] = "hunter2-hunter2";
	sec_wipe(secret, sizeof secret);
	bool zero = true;
	for (size_t i = 0; i < sizeof secret; i++)
		zero = zero && secret[i] == 0;
	CHECK(zero);
}

TEST(test_secure_derive_key_is_deterministic_and_separates_secrets_and_purposes)
{
	uint8_t k1[SEC_KEY_LEN], k2[SEC_KEY_LEN], k3[SEC_KEY_LEN], k4[SEC_KEY_LEN];
	const char *secret = "a-server-secret-longer-than-sixty-four-bytes-0123456789-abcdefghij";
	sec_derive_key(secret, strlen(secret), "outboxln", k1);
	sec_derive_key(secret, strlen(secret), "outboxln", k2);
	sec_derive_key(secret, strlen(secret), "otherctx", k3);
	sec_derive_key(secret, strlen(secret) - 1, "outboxln", k4);
	CHECK(memcmp(k1, k2, SEC_KEY_LEN) == 0);
	CHECK(memcmp(k1, k3, SEC_KEY_LEN) != 0);
	CHECK(memcmp(k1, k4, SEC_KEY_LEN) != 0);
}

TEST(test_secure_box_round_trips_and_refuses_another_key_ad_or_byte)
{
	uint8_t key[SEC_KEY_LEN], other[SEC_KEY_LEN];
	sec_derive_key("s1", 2, "testtest", key);
	sec_derive_key("s2", 2, "testtest", other);
	const char *plain = "https://app.test/reset?token=SECRET123";
	size_t n = strlen(plain), len = sec_box_len(n);
	char *box = malloc(len), *box2 = malloc(len);
	sec_box_seal(key, "row-1", 5, plain, n, box, len);
	sec_box_seal(key, "row-1", 5, plain, n, box2, len);
	CHECK(strlen(box) + 1 == len);
	CHECK(strstr(box, "SECRET123") == NULL);
	CHECK(strcmp(box, box2) != 0); /* a fresh nonce each time */
	uint8_t out[128];
	size_t got = 0;
	CHECK(sec_box_open(key, "row-1", 5, box, out, sizeof out, &got));
	CHECK(got == n && memcmp(out, plain, n) == 0);
	CHECK(!sec_box_open(other, "row-1", 5, box, out, sizeof out, &got) && got == 0);
	CHECK(!sec_box_open(key, "row-2", 5, box, out, sizeof out, &got));
	CHECK(!sec_box_open(key, "row-1", 5, box, out, n - 1, &got)); /* no room */
	CHECK(!sec_box_open(key, "row-1", 5, "bm90IGEgYm94", out, sizeof out, &got));
	CHECK(!sec_box_open(key, "row-1", 5, "%%%", out, sizeof out, &got));
	box[10] = box[10] == 'A' ? 'B' : 'A';
	CHECK(!sec_box_open(key, "row-1", 5, box, out, sizeof out, &got));
	free(box);
	free(box2);
}

/* RFC 8037 A.1: the Ed25519 key d (seed) and x (public key). */
#define RFC8037_D "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
#define RFC8037_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"

TEST(test_secure_base64url_has_no_padding_and_round_trips)
{
	char out[16];
	sec_base64url((const uint8_t *)"\xfb\xff", 2, out, sizeof out);
	CHECK_STR(out, "-_8");
	CHECK(sec_base64url_len(2) == 4);
	uint8_t back[8];
	size_t n = 0;
	CHECK(sec_base64url_decode("-_8", back, sizeof back, &n) && n == 2);
	CHECK(back[0] == 0xfb && back[1] == 0xff);
	CHECK(!sec_base64url_decode("-_8=", back, sizeof back, &n)); /* padding refused */
	CHECK(!sec_base64url_decode("+/8", back, sizeof back, &n)); /* standard alphabet */
	CHECK(!sec_base64url_decode("AAAAAAAAAAAAAAAA", back, 2, &n)); /* overflow */
}

TEST(test_secure_sign_matches_rfc8037_a4_and_verifies)
{
	uint8_t sk[SEC_SIGN_SECRET_LEN], pk[SEC_SIGN_PUBLIC_LEN];
	size_t n = 0;
	CHECK(sec_base64url_decode(RFC8037_D, sk, 32, &n) && n == 32);
	CHECK(sec_base64url_decode(RFC8037_X, pk, sizeof pk, &n) && n == 32);
	memcpy(sk + 32, pk, 32); /* libsodium's secret key: seed || public key */
	const char *input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
	uint8_t sig[SEC_SIGNATURE_LEN];
	sec_sign(sk, input, strlen(input), sig);
	char b64[128];
	sec_base64url(sig, sizeof sig, b64, sizeof b64);
	CHECK_STR(b64, "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7s"
		       "VvpAr_MuM0KAg");
	CHECK(sec_sign_verify(pk, input, strlen(input), sig));
	sig[0] ^= 1;
	CHECK(!sec_sign_verify(pk, input, strlen(input), sig));
	uint8_t pk2[SEC_SIGN_PUBLIC_LEN], sk2[SEC_SIGN_SECRET_LEN];
	sec_sign_keypair(pk2, sk2);
	sec_sign(sk2, input, strlen(input), sig);
	CHECK(sec_sign_verify(pk2, input, strlen(input), sig));
	CHECK(!sec_sign_verify(pk, input, strlen(input), sig));
}

int main(void)
{
	if (!sec_init()) {
		fprintf(stderr, "sec_init failed\n");
		return 1;
	}
	CHECK(sec_init()); /* calling it twice is fine */
	RUN(test_secure_sha256_matches_fips_vectors);
	RUN(test_secure_sha256_hashes_exactly_len_bytes);
	RUN(test_secure_hmac_sha256_matches_rfc4231_case_1);
	RUN(test_secure_hmac_sha256_matches_rfc4231_case_2);
	RUN(test_secure_hmac_sha256_hashes_keys_longer_than_a_block_rfc4231_cases_6_7);
	RUN(test_secure_hmac_sha256_depends_on_key_and_message);
	RUN(test_secure_equal_compares_all_n_bytes);
	RUN(test_secure_str_equal_needs_same_length_and_content);
	RUN(test_secure_hex_is_lowercase_two_digits_per_byte);
	RUN(test_secure_unhex_round_trips_and_accepts_uppercase);
	RUN(test_secure_unhex_refuses_wrong_length_or_non_hex);
	RUN(test_secure_base64_matches_rfc4648_vectors);
	RUN(test_secure_base64_round_trips_random_bytes_of_every_small_length);
	RUN(test_secure_base64_decode_refuses_bad_input_and_overflow);
	RUN(test_secure_random_fills_and_differs);
	RUN(test_secure_uniform_stays_below_upper_and_covers_the_range);
	RUN(test_secure_random_base62_has_length_alphabet_and_terminator);
	RUN(test_secure_wipe_zeroes_the_buffer);
	RUN(test_secure_derive_key_is_deterministic_and_separates_secrets_and_purposes);
	RUN(test_secure_box_round_trips_and_refuses_another_key_ad_or_byte);
	RUN(test_secure_base64url_has_no_padding_and_round_trips);
	RUN(test_secure_sign_matches_rfc8037_a4_and_verifies);
	return check_done("secure");
}
