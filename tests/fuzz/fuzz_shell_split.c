/* libFuzzer harness: pd_shell_split (util/str.c) on arbitrary text.
 * Checks beyond the sanitizers: on success the vector is NULL-terminated
 * and every word is a string no longer than the input; on failure *err is
 * set and the result is NULL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "util/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	struct pd_err *err = NULL;
	char **v = pd_shell_split(s, &err);
	if (v) {
		if (err)
			abort();
		for (size_t i = 0; v[i]; i++)
			if (strlen(v[i]) > strlen(s))
				abort();
		strv_free(v);
	} else if (!err) {
		abort();
	}
	pd_err_free(err);
	free(s);
	return 0;
}
