/* Detach keys (Ctrl-P Ctrl-Q by default): recognised in what a client types
 * into a container's terminal, for `run`/`attach` and `exec -it`. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct pd_detach {
	const char *keys; /* the sequence; NULL or "": none */
	size_t matched;	  /* bytes of it seen so far */
};

/* Copy N typed bytes from IN to OUT (room for N + strlen(keys) bytes),
 * holding back what may be the start of the sequence and letting it through
 * once it proves not to be.  Returns the bytes stored in OUT; sets *done
 * when the whole sequence was typed (the rest of IN is then dropped). */
size_t pd_detach_filter(struct pd_detach *d, const char *in, size_t n, char *out, bool *done);
