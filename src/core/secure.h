/*
 * secure.h: the only door to cryptographic primitives (libsodium underneath):
 * randomness, SHA-256, HMAC-SHA256, constant-time comparison, encodings,
 * key derivation and authenticated encryption of small secrets at rest.
 * Nothing here logs; callers wipe secrets they hold with sec_wipe().
 */
#ifndef SAASD_SECURE_H
#define SAASD_SECURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEC_SHA256_LEN 32
#define SEC_SHA256_HEX_LEN 65 /* 64 hex digits + NUL */

/* Must be called once before any other function (main does it). */
bool sec_init(void);
void sec_random(void *buf, size_t n);
/* Uniform integer in [0, upper). */
uint32_t sec_uniform(uint32_t upper);
void sec_sha256(const void *data, size_t len, uint8_t out[SEC_SHA256_LEN]);
void sec_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		     uint8_t out[SEC_SHA256_LEN]);
/* Constant-time equality of two n-byte buffers. */
bool sec_equal(const void *a, const void *b, size_t n);
/* Constant-time equality of two strings (length leaks, content does not). */
bool sec_str_equal(const char *a, const char *b);
void sec_wipe(void *buf, size_t n);

/* Lowercase hex of n bytes into out (2n+1 bytes). */
void sec_hex(const uint8_t *in, size_t n, char *out);
/* Decode exactly n bytes of hex; false on bad input. */
bool sec_unhex(const char *hex, uint8_t *out, size_t n);
/* n uniformly random base62 characters + NUL into out (n+1 bytes). */
void sec_random_base62(char *out, size_t n);
/* Standard base64 with padding; out must hold sec_base64_len(n) bytes. */
size_t sec_base64_len(size_t n);
void sec_base64(const uint8_t *in, size_t n, char *out, size_t outlen);
/* Decode standard base64; returns false on bad input or overflow. */
bool sec_base64_decode(const char *in, uint8_t *out, size_t cap, size_t *outlen);
/* base64url without padding (JOSE, RFC 7515 section 2); out must hold
 * sec_base64url_len(n) bytes (NUL included). */
size_t sec_base64url_len(size_t n);
void sec_base64url(const uint8_t *in, size_t n, char *out, size_t outlen);
/* Decode base64url without padding; false on bad input or overflow. */
bool sec_base64url_decode(const char *in, uint8_t *out, size_t cap, size_t *outlen);

/* Ed25519 signatures (crypto_sign): a key pair, a detached signature. */
#define SEC_SIGN_PUBLIC_LEN 32
#define SEC_SIGN_SECRET_LEN 64
#define SEC_SIGNATURE_LEN 64
void sec_sign_keypair(uint8_t pk[SEC_SIGN_PUBLIC_LEN], uint8_t sk[SEC_SIGN_SECRET_LEN]);
void sec_sign(const uint8_t sk[SEC_SIGN_SECRET_LEN], const void *msg, size_t n,
	      uint8_t sig[SEC_SIGNATURE_LEN]);
bool sec_sign_verify(const uint8_t pk[SEC_SIGN_PUBLIC_LEN], const void *msg, size_t n,
		     const uint8_t sig[SEC_SIGNATURE_LEN]);

/*
 * Secrets at rest. sec_derive_key: a 32-byte key for one purpose (ctx, 8
 * characters) from a server secret of any length (BLAKE2b of the secret,
 * then crypto_kdf). A box is base64(nonce || XChaCha20-Poly1305 ciphertext)
 * of plain, bound to ad (authenticated, not stored): sec_box_len(n) bytes
 * (NUL included) hold the box of n plain bytes. sec_box_open writes at most
 * cap bytes and fails on a bad box, a wrong key or a different ad.
 */
#define SEC_KEY_LEN 32
void sec_derive_key(const char *secret, size_t secret_len, const char ctx[8],
		    uint8_t out[SEC_KEY_LEN]);
size_t sec_box_len(size_t n);
void sec_box_seal(const uint8_t key[SEC_KEY_LEN], const void *ad, size_t adlen, const void *plain,
		  size_t n, char *out, size_t outlen);
bool sec_box_open(const uint8_t key[SEC_KEY_LEN], const void *ad, size_t adlen, const char *box,
		  uint8_t *out, size_t cap, size_t *outlen);

#endif
