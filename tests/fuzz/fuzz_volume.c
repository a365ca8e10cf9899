/* libFuzzer harness: pd_volume_parse and pd_check_container_path
 * (core/config.c).  The source side goes through realpath(3) on the host,
 * which only reads.  Checks: an accepted destination is absolute and has
 * no ".." component; an accepted source is absolute. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_dotdot(const char *p)
{
	for (const char *s = p; *s;) {
		while (*s == '/')
			s++;
		const char *e = strchrnul(s, '/');
		if (e - s == 2 && s[0] == '.' && s[1] == '.')
			return 1;
		s = e;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	struct pd_volume v = { 0 };
	struct pd_err *err = NULL;
	if (pd_volume_parse(s, &v, &err) == 0) {
		/* A host path is absolute; anything else is a volume's name,
		 * never a path, or an anonymous volume ("/path" alone), which
		 * has neither. */
		if (err || v.dest[0] != '/' || has_dotdot(v.dest) ||
		    (v.name ? v.src || v.anonymous || !pd_volume_name_valid(v.name) || strchr(v.name, '/')
		     : v.anonymous ? v.src != NULL
				   : !v.src || v.src[0] != '/'))
			abort();
		free(v.src);
		free(v.dest);
		free(v.name);
	} else if (!err) {
		abort();
	}
	pd_err_free(err);
	err = NULL;
	if (pd_check_container_path("path", s, &err) == 0) {
		if (s[0] != '/' || has_dotdot(s))
			abort();
	}
	pd_err_free(err);
	free(s);
	return 0;
}
