/* libFuzzer harness: pd_parse_size, pd_parse_duration_ms, pd_parse_uint
 * (util/str.c).  Besides the sanitizers (overflow in the scaling is UB the
 * undefined sanitizer catches), it checks the documented contracts: a
 * success never sets *err, a failure always does, and a plain integer
 * parses to itself as a size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int r, struct pd_err *err)
{
	if ((r == 0) != (err == NULL))
		abort();
	pd_err_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	uint64_t v = 0;
	struct pd_err *err = NULL;
	int r = pd_parse_size(s, &v, &err);
	check(r, err);
	/* Digits only (no unit): the value itself, or "too large". */
	if (r == 0 && size > 0 && size < 20 && strspn(s, "0123456789") == size && v != strtoull(s, NULL, 10))
		abort();
	err = NULL;
	r = pd_parse_duration_ms(s, &v, &err);
	check(r, err);
	if (r == 0 && v >= 1000000000000000ULL)
		abort(); /* the documented ceiling */
	err = NULL;
	r = pd_parse_uint(s, 1000000, &v, &err);
	check(r, err);
	if (r == 0 && v > 1000000)
		abort();
	free(s);
	return 0;
}
