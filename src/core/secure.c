/*
 * secure.c: thin wrappers over libsodium so that the rest of the code never
 * includes sodium.h and never hand-rolls a primitive.
 */
#include "secure.h"

#include <sodium.h>
#include <string.h>

bool sec_init(void)
{
	return sodium_init() >= 0;
}

void sec_random(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

uint32_t sec_uniform(uint32_t upper)
{
	return randombytes_uniform(upper);
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
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[randombytes_uniform(62)];
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
