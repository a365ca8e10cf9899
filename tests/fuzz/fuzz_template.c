/* libFuzzer harness: util/template-parse.c and util/template.c on
 * arbitrary templates and data.  The input is a template, optionally
 * followed by a NUL byte and JSON data (otherwise a fixed container-like
 * object is the data).  Each template is parsed, rendered plainly, safely
 * and as a table header, and the output goes through the tabwriter.
 * Checks beyond the sanitizers: a failure always comes with an error and
 * a success never does; outputs stay within PD_TMPL_MAX_BYTES; the safe
 * rendering holds no escape byte (ESC) that was not in the template
 * itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char sample[] = "{\"Id\":\"abc\",\"Name\":\"/x\\u001b\",\"Args\":[\"-c\",\"sleep 1\"],"
			     "\"State\":{\"Pid\":42,\"Running\":true,\"Status\":\"running\"},"
			     "\"Config\":{\"Labels\":{\"a\":\"b\"}},\"Mounts\":[{\"Source\":\"/s\"}],"
			     "\"F\":1.5,\"N\":null,\"E\":[],\"O\":{}}";

static void render(const struct pd_tmpl *t, json_t *d, unsigned flags, bool esc_in_template)
{
	struct pd_err *err = NULL;
	size_t n = 0;
	char *out = pd_tmpl_render(t, d, flags, &n, &err);
	if (!out) {
		if (!err || (flags & PD_TMPL_HEADER))
			abort();
		pd_err_free(err);
		return;
	}
	if (err || n > PD_TMPL_MAX_BYTES)
		abort();
	if ((flags & PD_TMPL_SAFE) && !esc_in_template && memchr(out, 0x1b, n))
		abort();
	char *tw = pd_tabwriter(out, n, 10, 3);
	free(tw);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t tlen = nul ? (size_t)(nul - data) : size;
	char *text = malloc(tlen + 1);
	memcpy(text, data, tlen);
	text[tlen] = '\0';
	json_t *d = nul ? json_loadb((const char *)nul + 1, size - tlen - 1, JSON_DECODE_ANY, NULL)
			: json_loads(sample, 0, NULL);
	struct pd_err *err = NULL;
	struct pd_tmpl *t = pd_tmpl_parse(text, &err);
	if (!t) {
		if (!err)
			abort();
		pd_err_free(err);
	} else {
		if (err)
			abort();
		/* Only the template's own text may put ESC in a safe output:
		 * every printed value is escaped, literals included. */
		bool esc = memchr(text, 0x1b, tlen) != NULL;
		render(t, d, 0, esc);
		render(t, d, PD_TMPL_SAFE, esc);
		render(t, d, PD_TMPL_HEADER | PD_TMPL_SAFE, esc);
		pd_tmpl_free(t);
	}
	bool table;
	char *docker = pd_tmpl_docker_text(text, &table);
	free(docker);
	json_decref(d);
	free(text);
	return 0;
}
