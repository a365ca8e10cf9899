/* libFuzzer harness: Dockerfile and .dockerignore parsing (image/dockerfile.c,
 * image/dockerignore.c), text a build's context chooses.  Checks: no crash,
 * no leak (ASan); an error always comes with a message and a success
 * without one; a parsed file has at least one stage, each instruction
 * a text and NULL-terminated args; expansion and word splitting of every
 * argument either succeed or fail with an error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image/dockerfile.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_words(const char *s, char escape)
{
	static char *const env[] = { "A=1", "B=two words", "EMPTY=", NULL };
	struct pd_err *err = NULL;
	char *x = pd_df_expand(s, env, escape, &err);
	if (!x != !!err)
		abort();
	pd_err_free(err);
	err = NULL;
	char **w = pd_df_words(x ? x : s, escape, &err);
	if (!w != !!err)
		abort();
	pd_err_free(err);
	for (size_t i = 0; w && w[i]; i++)
		free(w[i]);
	free(w);
	free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct pd_err *err = NULL;
	struct pd_dockerfile df;
	memset(&df, 0, sizeof(df));
	int r = pd_dockerfile_parse(text, size, &df, &err);
	if ((r < 0) != !!err)
		abort();
	if (r == 0) {
		if (df.n_stages == 0)
			abort();
		for (size_t s = 0; s < df.n_stages; s++)
			for (size_t i = 0; i < df.stages[s].n_instrs; i++) {
				const struct pd_df_instr *in = &df.stages[s].instrs[i];
				if (!in->text || !in->args)
					abort();
				for (size_t k = 0; in->args[k] && k < 8; k++)
					check_words(in->args[k], df.escape);
			}
		pd_dockerfile_free(&df);
	}
	pd_err_free(err);
	err = NULL;
	struct pd_ignore *ig = NULL;
	if (pd_ignore_parse(text, size, &ig, &err) == 0) {
		static const char *const paths[] = { "a",    "a/b",	  "src/x.c", "node_modules/p/q",
						     ".git", "Dockerfile" };
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			pd_ignore_match(ig, paths[i]);
			pd_ignore_may_include_below(ig, paths[i]);
		}
		pd_ignore_free(ig);
	} else if (!err) {
		abort();
	}
	pd_err_free(err);
	free(text);
	return 0;
}
