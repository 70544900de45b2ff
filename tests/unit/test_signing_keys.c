/*
 * test_signing_keys.c: unit tests for the pure part of src/svc/signing_keys.c:
 * the kid is the RFC 7638 JWK thumbprint (pinned to RFC 8037 appendix A.3),
 * and the cache frees cleanly without a key.
 */
#include <string.h>

#include "check.h"
#include "core/secure.h"
#include "svc/signing_keys.h"

TEST(test_signing_keys_kid_is_the_rfc7638_thumbprint_of_rfc8037_a3)
{
	char kid[SIGKEY_ID_MAX];
	sigkey_thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid);
	CHECK_STR(kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
	CHECK(strlen(kid) == 43);
}

TEST(test_signing_keys_other_keys_have_other_kids)
{
	char a[SIGKEY_ID_MAX], b[SIGKEY_ID_MAX];
	sigkey_thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", a);
	sigkey_thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp", b);
	CHECK(strcmp(a, b) != 0);
}

TEST(test_signing_keys_cache_frees_without_a_key)
{
	struct sigkeys *k = sigkeys_new();
	CHECK(k != NULL);
	sigkeys_free(k);
	sigkeys_free(NULL);
}

int main(void)
{
	CHECK(sec_init());
	RUN(test_signing_keys_kid_is_the_rfc7638_thumbprint_of_rfc8037_a3);
	RUN(test_signing_keys_other_keys_have_other_kids);
	RUN(test_signing_keys_cache_frees_without_a_key);
	return check_done("signing_keys");
}
