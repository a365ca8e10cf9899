/* libFuzzer harness: pd_config_decode and pd_config_encode (core/config.c),
 * the codec of a container's record.  A record is the runtime's own
 * writing, but a damaged or hand-edited state database is read by every
 * command: decoding must never crash, and what decodes must survive a round
 * trip: encode(decode(x)) decodes again to a config that encodes to the
 * same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	struct pd_config c;
	struct pd_err *err = NULL;
	if (pd_config_decode(s, &c, &err) == 0) {
		if (err)
			abort();
		char *once = pd_config_encode(&c);
		struct pd_config again;
		if (!once || pd_config_decode(once, &again, &err) < 0)
			abort();
		char *twice = pd_config_encode(&again);
		if (!twice || strcmp(once, twice) != 0)
			abort();
		free(once);
		free(twice);
		pd_config_free(&again);
	} else if (!err) {
		abort();
	}
	pd_config_free(&c);
	pd_err_free(err);
	free(s);
	return 0;
}
