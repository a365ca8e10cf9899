/* See detach.h.  Runs in the CLI. */
#include "core/detach.h"

#include <string.h>

size_t pd_detach_filter(struct pd_detach *d, const char *in, size_t n, char *out, bool *done)
{
	size_t klen = d->keys ? strlen(d->keys) : 0, len = 0;
	*done = false;
	for (size_t i = 0; i < n; i++) {
		if (klen && in[i] == d->keys[d->matched]) {
			if (++d->matched == klen) {
				d->matched = 0;
				*done = true;
				return len;
			}
			continue;
		}
		/* Not the sequence after all: what was held goes through. */
		if (d->matched) {
			memcpy(out + len, d->keys, d->matched);
			len += d->matched;
			d->matched = 0;
		}
		if (klen && in[i] == d->keys[0]) {
			d->matched = 1;
			continue;
		}
		out[len++] = in[i];
	}
	return len;
}
