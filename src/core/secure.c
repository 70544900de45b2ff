/*
 * secure.c: thin wrappers over libsodium so that the rest of the code never
 * includes sodium.h and never hand-rolls a primitive.
 */
#include "secure.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

bool sec_init(void)
{
	return sodium_init() >= 0;
}

/* Kernel randomness, fetched 512 bytes at a time per thread: one getrandom
 * syscall serves ~50 requests' ids instead of one each (syscalls are what
 * this machine's request path pays most for). Consumed bytes are wiped. */
#define RANDOM_POOL 512
static __thread uint8_t pool[RANDOM_POOL];
static __thread size_t pool_left;

void sec_random(void *buf, size_t n)
{
	if (n > RANDOM_POOL / 4) {
		randombytes_buf(buf, n);
		return;
	}
	if (pool_left < n) {
		randombytes_buf(pool, RANDOM_POOL);
		pool_left = RANDOM_POOL;
	}
	uint8_t *src = pool + (RANDOM_POOL - pool_left);
	memcpy(buf, src, n);
	sodium_memzero(src, n);
	pool_left -= n;
}

uint32_t sec_uniform(uint32_t upper)
{
	if (upper < 2)
		return 0;
	/* rejection sampling over the pooled bytes (no modulo bias) */
	uint32_t min = (uint32_t)(-upper) % upper, r;
	do
		sec_random(&r, sizeof r);
	while (r < min);
	return r % upper;
}

void sec_sha256(const void *data, size_t len, uint8_t out[SEC_SHA256_LEN])
{
	crypto_hash_sha256(out, data, len);
}

void sec_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		     uint8_t out[SEC_SHA256_LEN])
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, data, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

bool sec_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

bool sec_str_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}

void sec_wipe(void *buf, size_t n)
{
	sodium_memzero(buf, n);
}

void sec_hex(const uint8_t *in, size_t n, char *out)
{
	sodium_bin2hex(out, n * 2 + 1, in, n);
}

bool sec_unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t got = 0;
	if (strlen(hex) != n * 2)
		return false;
	return sodium_hex2bin(out, n, hex, n * 2, NULL, &got, NULL) == 0 && got == n;
}

void sec_random_base62(char *out, size_t n)
{
	static const char alphabet[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	/* rejection sampling: bytes below 248 (= 4 x 62) map uniformly */
	size_t i = 0;
	while (i < n) {
		uint8_t bytes[64];
		sec_random(bytes, sizeof bytes);
		for (size_t k = 0; k < sizeof bytes && i < n; k++)
			if (bytes[k] < 248)
				out[i++] = alphabet[bytes[k] % 62];
		sodium_memzero(bytes, sizeof bytes);
	}
	out[n] = '\0';
}

size_t sec_base64_len(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
}

void sec_base64(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	sodium_bin2base64(out, outlen, in, n, sodium_base64_VARIANT_ORIGINAL);
}

bool sec_base64_decode(const char *in, uint8_t *out, size_t cap, size_t *outlen)
{
	return sodium_base642bin(out, cap, in, strlen(in), NULL, outlen, NULL,
				 sodium_base64_VARIANT_ORIGINAL) == 0;
}

size_t sec_base64url_len(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void sec_base64url(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	sodium_bin2base64(out, outlen, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool sec_base64url_decode(const char *in, uint8_t *out, size_t cap, size_t *outlen)
{
	const char *end = NULL;
	size_t len = strlen(in);
	return sodium_base642bin(out, cap, in, len, NULL, outlen, &end,
				 sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
	       end == in + len;
}

void sec_sign_keypair(uint8_t pk[SEC_SIGN_PUBLIC_LEN], uint8_t sk[SEC_SIGN_SECRET_LEN])
{
	crypto_sign_keypair(pk, sk);
}

void sec_sign(const uint8_t sk[SEC_SIGN_SECRET_LEN], const void *msg, size_t n,
	      uint8_t sig[SEC_SIGNATURE_LEN])
{
	crypto_sign_detached(sig, NULL, msg, n, sk);
}

bool sec_sign_verify(const uint8_t pk[SEC_SIGN_PUBLIC_LEN], const void *msg, size_t n,
		     const uint8_t sig[SEC_SIGNATURE_LEN])
{
	return crypto_sign_verify_detached(sig, msg, n, pk) == 0;
}

void sec_derive_key(const char *secret, size_t secret_len, const char ctx[8],
		    uint8_t out[SEC_KEY_LEN])
{
	uint8_t master[crypto_kdf_KEYBYTES];
	crypto_generichash(master, sizeof master, (const uint8_t *)secret, secret_len, NULL, 0);
	crypto_kdf_derive_from_key(out, SEC_KEY_LEN, 1, ctx, master);
	sodium_memzero(master, sizeof master);
}

#define BOX_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define BOX_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES

size_t sec_box_len(size_t n)
{
	return sec_base64_len(BOX_NONCE + n + BOX_TAG);
}

void sec_box_seal(const uint8_t key[SEC_KEY_LEN], const void *ad, size_t adlen, const void *plain,
		  size_t n, char *out, size_t outlen)
{
	size_t rawlen = BOX_NONCE + n + BOX_TAG;
	uint8_t *raw = malloc(rawlen);
	if (raw == NULL)
		abort();
	randombytes_buf(raw, BOX_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(raw + BOX_NONCE, NULL, plain, n, ad, adlen, NULL,
						   raw, key);
	sec_base64(raw, rawlen, out, outlen);
	free(raw);
}

bool sec_box_open(const uint8_t key[SEC_KEY_LEN], const void *ad, size_t adlen, const char *box,
		  uint8_t *out, size_t cap, size_t *outlen)
{
	size_t len = strlen(box), rawlen = 0;
	size_t rawcap = len / 4 * 3 + 3;
	uint8_t *raw = malloc(rawcap);
	if (raw == NULL)
		abort();
	bool ok = sec_base64_decode(box, raw, rawcap, &rawlen) && rawlen >= BOX_NONCE + BOX_TAG &&
		  rawlen - BOX_NONCE - BOX_TAG <= cap;
	unsigned long long n = 0;
	ok = ok && crypto_aead_xchacha20poly1305_ietf_decrypt(out, &n, NULL, raw + BOX_NONCE,
							      rawlen - BOX_NONCE, ad, adlen, raw,
							      key) == 0;
	free(raw);
	*outlen = ok ? (size_t)n : 0;
	return ok;
}
