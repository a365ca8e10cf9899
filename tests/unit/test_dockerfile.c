/* Unit tests for image/dockerfile.c and image/dockerignore.c: the
 * Dockerfile parser (directives, continuations, comments, flags, the exec
 * and shell forms, ENV/LABEL/ARG pairs, heredocs, stages, errors), the
 * builder's word rules (pd_df_expand, pd_df_expand_word, pd_df_words) and
 * .dockerignore matching.  The expected values are what Docker's parser
 * and shell lexer give for the same input.  Pure logic; no root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "image/dockerfile.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

/* ---- helpers ---------------------------------------------------------------- */

static struct pd_dockerfile parse_ok(const char *text)
{
	struct pd_dockerfile df;
	_cleanup_err_ struct pd_err *err = NULL;
	int r = pd_dockerfile_parse(text, strlen(text), &df, &err);
	if (r < 0)
		fail_msg("parse failed: %s\n--- input:\n%s", err->msg, text);
	assert_null(err);
	return df;
}

/* The error message of a parse that must fail. */
static char *parse_err_n(const char *text, size_t len)
{
	struct pd_dockerfile df;
	struct pd_err *err = NULL;
	int r = pd_dockerfile_parse(text, len, &df, &err);
	if (r == 0) {
		pd_dockerfile_free(&df);
		fail_msg("parse succeeded, an error was expected\n--- input:\n%s", text);
	}
	assert_int_equal(r, -1);
	assert_non_null(err);
	assert_int_equal(err->kind, PD_ERR_USAGE);
	assert_null(strchr(err->msg, '\n'));
	char *m = xstrdup(err->msg);
	pd_err_free(err);
	return m;
}

static void check_parse_err(const char *text, const char *want)
{
	_cleanup_free_ char *m = parse_err_n(text, strlen(text));
	if (!strstr(m, want))
		fail_msg("error '%s' does not contain '%s'", m, want);
}

static void df_freep(struct pd_dockerfile *df)
{
	pd_dockerfile_free(df);
}
#define _cleanup_df_ _cleanup_(df_freep)

static void check_strv(char *const *v, const char *const *want)
{
	size_t n = 0;
	while (want[n])
		n++;
	size_t have = strv_len(v);
	for (size_t i = 0; i < n && i < have; i++)
		assert_string_equal(v[i], want[i]);
	assert_int_equal(have, n);
}
#define STRV(v, ...) check_strv((v), (const char *const[]){ __VA_ARGS__, NULL })
#define STRV_NONE(v) check_strv((v), (const char *const[]){ NULL })

/* The only stage's instruction k. */
static const struct pd_df_instr *instr(const struct pd_dockerfile *df, size_t stage, size_t k)
{
	assert_true(stage < df->n_stages);
	assert_true(k < df->stages[stage].n_instrs);
	return &df->stages[stage].instrs[k];
}

static char *expand(const char *w, char *const *env, char esc)
{
	_cleanup_err_ struct pd_err *err = NULL;
	char *r = pd_df_expand(w, env, esc, &err);
	if (!r)
		fail_msg("expand '%s' failed: %s", w, err->msg);
	return r;
}

static char *expand_word(const char *w, char *const *env, char esc)
{
	_cleanup_err_ struct pd_err *err = NULL;
	char *r = pd_df_expand_word(w, env, esc, &err);
	if (!r)
		fail_msg("expand_word '%s' failed: %s", w, err->msg);
	return r;
}

#define EXPAND(w, env, want)                                                                                 \
	do {                                                                                                 \
		_cleanup_free_ char *_r = expand((w), (env), '\\');                                          \
		assert_string_equal(_r, (want));                                                             \
	} while (0)
#define EXPAND_WORD(w, env, want)                                                                            \
	do {                                                                                                 \
		_cleanup_free_ char *_r = expand_word((w), (env), '\\');                                     \
		assert_string_equal(_r, (want));                                                             \
	} while (0)

static void check_expand_fails(const char *w, char *const *env, const char *want)
{
	_cleanup_err_ struct pd_err *err = NULL;
	char *r = pd_df_expand(w, env, '\\', &err);
	if (r) {
		free(r);
		fail_msg("expand '%s' succeeded, an error was expected", w);
	}
	assert_non_null(err);
	if (!strstr(err->msg, want))
		fail_msg("error '%s' does not contain '%s'", err->msg, want);
}

static void check_words(const char *s, char esc, const char *const *want)
{
	_cleanup_err_ struct pd_err *err = NULL;
	_cleanup_strv_ char **v = pd_df_words(s, esc, &err);
	if (!v)
		fail_msg("words '%s' failed: %s", s, err->msg);
	check_strv(v, want);
}
#define WORDS(s, ...) check_words((s), '\\', (const char *const[]){ __VA_ARGS__, NULL })
#define WORDS_NONE(s) check_words((s), '\\', (const char *const[]){ NULL })

/* ---- the parser ------------------------------------------------------------- */

static void test_minimal(void **state)
{
	_cleanup_df_ struct pd_dockerfile df = parse_ok("FROM alpine:3.19\nRUN echo hi\n");
	assert_int_equal(df.escape, '\\');
	assert_null(df.syntax);
	STRV_NONE(df.global_args);
	STRV_NONE(df.global_args_raw);
	assert_int_equal(df.n_stages, 1);
	assert_string_equal(df.stages[0].base, "alpine:3.19");
	assert_null(df.stages[0].name);
	assert_null(df.stages[0].platform);
	assert_int_equal(df.stages[0].index, 0);
	assert_int_equal(df.stages[0].line, 1);
	assert_int_equal(df.stages[0].n_instrs, 1);
	const struct pd_df_instr *in = instr(&df, 0, 0);
	assert_int_equal(in->kind, PD_DF_RUN);
	assert_int_equal(in->line, 2);
	assert_false(in->json);
	STRV(in->args, "echo hi");
	STRV_NONE(in->flags);
	assert_string_equal(in->text, "RUN echo hi");
	assert_string_equal(in->rest, "echo hi");
	assert_int_equal(in->n_heredocs, 0);
	assert_null(in->raw);
}

/* A real multi-stage Dockerfile of the common kind (a Go service). */
static void test_real_go_multistage(void **state)
{
	static const char text[] =
	    "# syntax=docker/dockerfile:1.7\n"
	    "ARG GO_VERSION=1.22\n"
	    "ARG BASE=\"gcr.io/distroless/static:nonroot\"\n"
	    "\n"
	    "FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-alpine AS Build\n"
	    "WORKDIR /src\n"
	    "COPY go.mod go.sum ./\n"
	    "RUN --mount=type=cache,target=/go/pkg/mod \\\n"
	    "    go mod download\n"
	    "COPY . .\n"
	    "ARG TARGETOS TARGETARCH\n"
	    "RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \\\n"
	    "    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app\n"
	    "\n"
	    "FROM ${BASE}\n"
	    "COPY --from=build --chown=65532:65532 /out/app /app\n"
	    "USER 65532:65532\n"
	    "EXPOSE 8080/tcp 9090\n"
	    "ENTRYPOINT [\"/app\"]\n"
	    "CMD [\"--listen\", \":8080\"]\n";
	_cleanup_df_ struct pd_dockerfile df = parse_ok(text);
	assert_string_equal(df.syntax, "docker/dockerfile:1.7");
	STRV(df.global_args, "GO_VERSION=1.22", "BASE=gcr.io/distroless/static:nonroot");
	assert_int_equal(df.n_stages, 2);

	const struct pd_df_stage *b = &df.stages[0];
	assert_string_equal(b->base, "golang:${GO_VERSION}-alpine");
	assert_string_equal(b->name, "build");
	assert_string_equal(b->platform, "$BUILDPLATFORM");
	assert_int_equal(b->line, 5);
	assert_int_equal(b->n_instrs, 6);
	assert_int_equal(b->instrs[0].kind, PD_DF_WORKDIR);
	STRV(b->instrs[0].args, "/src");
	assert_int_equal(b->instrs[1].kind, PD_DF_COPY);
	STRV(b->instrs[1].args, "go.mod", "go.sum", "./");
	const struct pd_df_instr *run = &b->instrs[2];
	assert_int_equal(run->kind, PD_DF_RUN);
	assert_int_equal(run->line, 8);
	STRV(run->flags, "--mount=type=cache,target=/go/pkg/mod");
	STRV(run->args, "go mod download");
	assert_string_equal(run->text, "RUN --mount=type=cache,target=/go/pkg/mod     go mod download");
	assert_int_equal(b->instrs[4].kind, PD_DF_ARG);
	STRV(b->instrs[4].args, "TARGETOS", "TARGETARCH");
	run = &b->instrs[5];
	assert_int_equal(run->line, 12);
	STRV(run->flags, "--mount=type=cache,target=/go/pkg/mod",
	     "--mount=type=cache,target=/root/.cache/go-build");
	STRV(run->args, "CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app");

	const struct pd_df_stage *f = &df.stages[1];
	assert_string_equal(f->base, "${BASE}");
	assert_null(f->name);
	assert_int_equal(f->index, 1);
	assert_int_equal(f->line, 15);
	assert_int_equal(f->n_instrs, 5);
	STRV(f->instrs[0].flags, "--from=build", "--chown=65532:65532");
	STRV(f->instrs[0].args, "/out/app", "/app");
	assert_false(f->instrs[0].json);
	STRV(f->instrs[1].args, "65532:65532");
	assert_int_equal(f->instrs[2].kind, PD_DF_EXPOSE);
	STRV(f->instrs[2].args, "8080/tcp", "9090");
	assert_int_equal(f->instrs[3].kind, PD_DF_ENTRYPOINT);
	assert_true(f->instrs[3].json);
	STRV(f->instrs[3].args, "/app");
	assert_int_equal(f->instrs[4].kind, PD_DF_CMD);
	assert_true(f->instrs[4].json);
	STRV(f->instrs[4].args, "--listen", ":8080");
}

/* A Debian/Python image with the usual long RUN and comments inside. */
static void test_real_python(void **state)
{
	static const char text[] = "FROM python:3.12-slim\n"
				   "LABEL org.opencontainers.image.title=\"my app\" \\\n"
				   "      org.opencontainers.image.version=1.0\n"
				   "ENV PYTHONDONTWRITEBYTECODE=1 \\\n"
				   "    PYTHONUNBUFFERED=1\n"
				   "RUN apt-get update \\\n"
				   "    # the build tools\n"
				   "    && apt-get install -y --no-install-recommends \\\n"
				   "       build-essential \\\n"
				   "\n"
				   "       libpq-dev \\\n"
				   "    && rm -rf /var/lib/apt/lists/*\n"
				   "WORKDIR /app\n"
				   "COPY requirements.txt .\n"
				   "RUN pip install -r requirements.txt\n"
				   "COPY . .\n"
				   "HEALTHCHECK --interval=30s --timeout=3s \\\n"
				   "  CMD curl -f http://localhost:8000/ || exit 1\n"
				   "CMD python -m app\n";
	_cleanup_df_ struct pd_dockerfile df = parse_ok(text);
	assert_int_equal(df.n_stages, 1);
	const struct pd_df_stage *s = &df.stages[0];
	assert_int_equal(s->n_instrs, 9);
	assert_int_equal(s->instrs[0].kind, PD_DF_LABEL);
	STRV(s->instrs[0].args, "org.opencontainers.image.title=my app",
	     "org.opencontainers.image.version=1.0");
	assert_int_equal(s->instrs[1].kind, PD_DF_ENV);
	STRV(s->instrs[1].args, "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1");
	const struct pd_df_instr *run = &s->instrs[2];
	assert_int_equal(run->line, 6);
	STRV(run->args,
	     "apt-get update     && apt-get install -y --no-install-recommends        build-essential "
	     "       libpq-dev     && rm -rf /var/lib/apt/lists/*");
	assert_int_equal(s->instrs[3].line, 13);
	const struct pd_df_instr *hc = &s->instrs[7];
	assert_int_equal(hc->kind, PD_DF_HEALTHCHECK);
	assert_int_equal(hc->line, 17);
	STRV(hc->flags, "--interval=30s", "--timeout=3s");
	assert_false(hc->json);
	STRV(hc->args, "CMD", "curl -f http://localhost:8000/ || exit 1");
	assert_int_equal(s->instrs[8].kind, PD_DF_CMD);
	assert_false(s->instrs[8].json);
	STRV(s->instrs[8].args, "python -m app");
	assert_int_equal(s->instrs[8].line, 19);
}

static void test_every_instruction(void **state)
{
	static const char text[] = "from scratch\n"
				   "maintainer Jane Doe <jane@example.com>\n"
				   "run true\n"
				   "cmd [\"sh\"]\n"
				   "label a=b\n"
				   "expose 80\n"
				   "env A=1\n"
				   "add a.tar /\n"
				   "copy a /a\n"
				   "entrypoint [\"tini\", \"--\"]\n"
				   "volume /data\n"
				   "user nobody\n"
				   "workdir /w\n"
				   "arg X\n"
				   "onbuild run make\n"
				   "stopsignal SIGTERM\n"
				   "healthcheck NONE\n"
				   "shell [\"/bin/bash\", \"-c\"]\n";
	_cleanup_df_ struct pd_dockerfile df = parse_ok(text);
	static const enum pd_df_kind kinds[] = {
		PD_DF_MAINTAINER,  PD_DF_RUN,	  PD_DF_CMD,  PD_DF_LABEL,	PD_DF_EXPOSE,
		PD_DF_ENV,	   PD_DF_ADD,	  PD_DF_COPY, PD_DF_ENTRYPOINT, PD_DF_VOLUME,
		PD_DF_USER,	   PD_DF_WORKDIR, PD_DF_ARG,  PD_DF_ONBUILD,	PD_DF_STOPSIGNAL,
		PD_DF_HEALTHCHECK, PD_DF_SHELL,
	};
	static const char *const texts[] = {
		"MAINTAINER Jane Doe <jane@example.com>",
		"RUN true",
		"CMD [\"sh\"]",
		"LABEL a=b",
		"EXPOSE 80",
		"ENV A=1",
		"ADD a.tar /",
		"COPY a /a",
		"ENTRYPOINT [\"tini\", \"--\"]",
		"VOLUME /data",
		"USER nobody",
		"WORKDIR /w",
		"ARG X",
		"ONBUILD run make",
		"STOPSIGNAL SIGTERM",
		"HEALTHCHECK NONE",
		"SHELL [\"/bin/bash\", \"-c\"]",
	};
	assert_int_equal(df.n_stages, 1);
	assert_int_equal(df.stages[0].n_instrs, ARRAY_SIZE(kinds));
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		assert_int_equal(df.stages[0].instrs[k].kind, kinds[k]);
		assert_int_equal(df.stages[0].instrs[k].line, k + 2);
		assert_string_equal(df.stages[0].instrs[k].text, texts[k]);
	}
	const struct pd_df_instr *in = df.stages[0].instrs;
	STRV(in[0].args, "Jane", "Doe", "<jane@example.com>");
	assert_string_equal(in[0].rest, "Jane Doe <jane@example.com>");
	STRV(in[8].args, "tini", "--");
	STRV(in[9].args, "/data");
	assert_false(in[9].json);
	STRV(in[13].args, "run make");
	STRV(in[14].args, "SIGTERM");
	STRV(in[15].args, "NONE");
	assert_true(in[16].json);
	STRV(in[16].args, "/bin/bash", "-c");
}

static void test_keywords_case_insensitive(void **state)
{
	_cleanup_df_ struct pd_dockerfile df =
	    parse_ok("From busybox As Base\nrUn echo A\nCoPy --from=x a b\n");
	assert_string_equal(df.stages[0].name, "base");
	STRV(instr(&df, 0, 0)->args, "echo A");
	assert_string_equal(instr(&df, 0, 0)->text, "RUN echo A");
	/* Flag names are not keywords: Docker's flags are case-sensitive. */
	check_parse_err("FROM a\nCOPY --FROM=x a b\n", "line 2: unknown flag: FROM");
}

static void test_comments_and_blanks(void **state)
{
	static const char text[] = "\n"
				   "   # a comment with leading blanks\n"
				   "\t\n"
				   "FROM a\n"
				   "#RUN not this\n"
				   "   \n"
				   "  RUN   echo   x  \n"
				   "RUN echo '# not a comment'\n";
	_cleanup_df_ struct pd_dockerfile df = parse_ok(text);
	assert_int_equal(df.stages[0].line, 4);
	assert_int_equal(df.stages[0].n_instrs, 2);
	STRV(instr(&df, 0, 0)->args, "echo   x");
	assert_int_equal(instr(&df, 0, 0)->line, 7);
	assert_string_equal(instr(&df, 0, 0)->text, "RUN echo   x");
	STRV(instr(&df, 0, 1)->args, "echo '# not a comment'");
}

static void test_continuations(void **state)
{
	/* Blanks after the escape, comment lines (indented too) and blank
	 * lines inside, joined without adding or removing anything else. */
	_cleanup_df_ struct pd_dockerfile df = parse_ok("FROM a\n"
							"RUN echo hel\\\n"
							"lo \\   \t\n"
							"# inside\n"
							"     # inside, indented\n"
							"\n"
							"   \n"
							"  world\n"
							"RUN a \\\n"
							"\\\n"
							"b\n"
							"RUN last \\");
	STRV(instr(&df, 0, 0)->args, "echo hello   world");
	assert_int_equal(instr(&df, 0, 0)->line, 2);
	STRV(instr(&df, 0, 1)->args, "a b");
	assert_int_equal(instr(&df, 0, 1)->line, 9);
	STRV(instr(&df, 0, 2)->args, "last");
	assert_int_equal(instr(&df, 0, 2)->line, 12);
	/* A backslash not at the end is text. */
	_cleanup_df_ struct pd_dockerfile d2 = parse_ok("FROM a\nRUN printf 'a\\nb' \\\n  && true\n");
	STRV(instr(&d2, 0, 0)->args, "printf 'a\\nb'   && true");
	/* CRLF line ends. */
	_cleanup_df_ struct pd_dockerfile d3 = parse_ok("FROM a\r\nRUN a \\\r\n b\r\nENV X=1\r\n");
	STRV(instr(&d3, 0, 0)->args, "a  b");
	STRV(instr(&d3, 0, 1)->args, "X=1");
}

static void test_escape_directive_backtick(void **state)
{
	/* The Windows style: ` escapes, \ is an ordinary character. */
	static const char text[] = "# escape=`\n"
				   "\n"
				   "FROM mcr.microsoft.com/windows/servercore\n"
				   "COPY testfile.txt c:\\\n"
				   "RUN dir c:\\ `\n"
				   "    && echo done\n"
				   "ENV P=C:\\Program` Files A=`$x\n";
	_cleanup_df_ struct pd_dockerfile df = parse_ok(text);
	assert_int_equal(df.escape, '`');
	STRV(instr(&df, 0, 0)->args, "testfile.txt", "c:\\");
	STRV(instr(&df, 0, 1)->args, "dir c:\\     && echo done");
	STRV(instr(&df, 0, 2)->args, "P=C:\\Program Files", "A=$x");
	STRV(instr(&df, 0, 2)->raw, "P=C:\\Program` Files", "A=`$x");
	/* With the default escape, that COPY line would continue. */
	_cleanup_df_ struct pd_dockerfile d2 = parse_ok("FROM a\nCOPY testfile.txt c:\\\nRUN dir\n");
	assert_int_equal(d2.stages[0].n_instrs, 1);
	STRV(instr(&d2, 0, 0)->args, "testfile.txt", "c:RUN", "dir");
}

static void test_directives(void **state)
{
	_cleanup_df_ struct pd_dockerfile df =
	    parse_ok("#  SYNTAX = docker/dockerfile:1  \n# Escape=\\\nFROM a\n");
	assert_string_equal(df.syntax, "docker/dockerfile:1");
	assert_int_equal(df.escape, '\\');
	/* After a comment, a blank line or an instruction, a directive is a
	 * comment. */
	_cleanup_df_ struct pd_dockerfile d2 = parse_ok("# a comment\n# escape=`\nFROM a\nRUN x \\\n y\n");
	assert_int_equal(d2.escape, '\\');
	STRV(instr(&d2, 0, 0)->args, "x  y");
	_cleanup_df_ struct pd_dockerfile d3 = parse_ok("\n# escape=`\nFROM a\n");
	assert_int_equal(d3.escape, '\\');
	_cleanup_df_ struct pd_dockerfile d4 = parse_ok("FROM a\n# syntax=x\n");
	assert_null(d4.syntax);
	/* An unknown directive is a comment and ends the directives. */
	_cleanup_df_ struct pd_dockerfile d5 = parse_ok("# foo=bar\n# escape=`\nFROM a\n");
	assert_int_equal(d5.escape, '\\');
	/* check= is known (BuildKit's lint settings). */
	_cleanup_df_ struct pd_dockerfile d6 = parse_ok("# check=skip=all\n# escape=`\nFROM a\n");
	assert_int_equal(d6.escape, '`');
	/* A byte order mark before the first directive. */
	_cleanup_df_ struct pd_dockerfile d7 = parse_ok("\xef\xbb\xbf# escape=`\nFROM a\n");
	assert_int_equal(d7.escape, '`');
	check_parse_err("# escape=x\nFROM a\n", "line 1: invalid escape token 'x'");
	check_parse_err("# escape=`\n# escape=`\nFROM a\n", "line 2: only one escape parser directive");
	check_parse_err("# syntax=a\n# syntax=b\nFROM a\n", "line 2: only one syntax parser directive");
}

static void test_exec_and_shell_form(void **state)
{
	static const char text[] = "FROM a\n"
				   "RUN [\"echo\", \"a b\", \"\\u00e9\\n\"]\n"
				   "RUN [ \"sh\" ,\"-c\" ]\n"
				   "CMD [\"a\"] extra\n"
				   "ENTRYPOINT ['single', 'quotes']\n"
				   "CMD [broken\n"
				   "RUN [\"unterminated]\n"
				   "CMD []\n"
				   "ENTRYPOINT []\n"
				   "VOLUME [\"/a\", \"/b c\"]\n"
				   "VOLUME /x /y\n"
				   "COPY [\"a b\", \"/dst dir/\"]\n"
				   "ADD [\"x\", \\\n"
				   "  \"/y\"]\n";
	_cleanup_df_ struct pd_dockerfile df = parse_ok(text);
	const struct pd_df_instr *in = df.stages[0].instrs;
	assert_true(in[0].json);
	STRV(in[0].args, "echo", "a b", "\xc3\xa9\n");
	assert_true(in[1].json);
	STRV(in[1].args, "sh", "-c");
	assert_false(in[2].json);
	STRV(in[2].args, "[\"a\"] extra");
	assert_false(in[3].json);
	STRV(in[3].args, "['single', 'quotes']");
	assert_false(in[4].json);
	STRV(in[4].args, "[broken");
	assert_false(in[5].json);
	STRV(in[5].args, "[\"unterminated]");
	assert_true(in[6].json);
	STRV_NONE(in[6].args);
	assert_true(in[7].json);
	STRV_NONE(in[7].args);
	assert_true(in[8].json);
	STRV(in[8].args, "/a", "/b c");
	assert_false(in[9].json);
	STRV(in[9].args, "/x", "/y");
	assert_true(in[10].json);
	STRV(in[10].args, "a b", "/dst dir/");
	/* JSON over a continuation. */
	assert_true(in[11].json);
	STRV(in[11].args, "x", "/y");
	assert_int_equal(df.stages[0].n_instrs, 12);
	/* A valid array of something other than strings is an error. */
	check_parse_err("FROM a\nRUN [\"a\", 1]\n",
			"line 2: when using JSON array syntax, arrays must be comprised of strings only");
	check_parse_err("FROM a\nCOPY [\"a\", null]\n", "line 2: when using JSON array syntax");
	check_parse_err("FROM a\nSHELL /bin/sh -c\n",
			"line 2: SHELL requires the arguments to be in JSON form");
	check_parse_err("FROM a\nSHELL []\n", "line 2: SHELL requires at least one argument");
	check_parse_err("FROM a\nRUN []\n", "line 2: RUN requires at least one argument");
	/* A JSON NUL in a string would cut the string short: not JSON. */
	_cleanup_df_ struct pd_dockerfile d2 = parse_ok("FROM a\nRUN [\"a\\u0000b\"]\n");
	assert_false(instr(&d2, 0, 0)->json);
}

static void test_flags(void **state)
{
	static const char text[] =
	    "FROM --platform=linux/arm64 a AS b\n"
	    "COPY --from=b --chown=1:1 --chmod=0755 --link --parents src/ /dst/\n"
	    "ADD --checksum=sha256:abc --keep-git-dir=true --link=false https://x/y.tar /\n"
	    "RUN --network=none --security=insecure --mount=type=bind,target=/x echo --not-a-flag\n"
	    "RUN --mount=\"type=secret,id=a b\" cat\n"
	    "RUN -- --x\n"
	    "HEALTHCHECK --interval=5s --timeout=1s --start-period=2s --start-interval=1s --retries=3 CMD "
	    "[\"true\"]\n";
	_cleanup_df_ struct pd_dockerfile df = parse_ok(text);
	assert_string_equal(df.stages[0].platform, "linux/arm64");
	const struct pd_df_instr *in = df.stages[0].instrs;
	STRV(in[0].flags, "--from=b", "--chown=1:1", "--chmod=0755", "--link", "--parents");
	STRV(in[0].args, "src/", "/dst/");
	assert_string_equal(in[0].rest, "src/ /dst/");
	assert_string_equal(in[0].text, "COPY --from=b --chown=1:1 --chmod=0755 --link --parents src/ /dst/");
	STRV(in[1].flags, "--checksum=sha256:abc", "--keep-git-dir=true", "--link=false");
	STRV(in[2].flags, "--network=none", "--security=insecure", "--mount=type=bind,target=/x");
	STRV(in[2].args, "echo --not-a-flag");
	STRV(in[3].flags, "--mount=type=secret,id=a b");
	STRV(in[3].args, "cat");
	STRV_NONE(in[4].flags);
	STRV(in[4].args, "--x");
	STRV(in[5].flags, "--interval=5s", "--timeout=1s", "--start-period=2s", "--start-interval=1s",
	     "--retries=3");
	assert_true(in[5].json);
	STRV(in[5].args, "CMD", "true");

	check_parse_err("FROM a\nCOPY --form=x a b\n", "line 2: unknown flag: form");
	check_parse_err("FROM a\nRUN --from=x a\n", "line 2: unknown flag: from");
	check_parse_err("FROM a\nENV --x=1\n", "line 2: unknown flag: x");
	check_parse_err("FROM a\nCOPY --from a b\n", "line 2: missing a value on flag: from");
	check_parse_err("FROM a\nCOPY --link=maybe a b\n", "line 2: expecting boolean value for flag link");
	check_parse_err("FROM a\nCOPY --from=x --from=y a b\n", "line 2: duplicate flag specified: from");
	check_parse_err("FROM --platform=a --platform=b a\n", "line 1: duplicate flag specified: platform");
	/* --mount and --exclude repeat. */
	_cleanup_df_ struct pd_dockerfile d2 = parse_ok("FROM a\nCOPY --exclude=*.o --exclude=*.a . /\n");
	STRV(instr(&d2, 0, 0)->flags, "--exclude=*.o", "--exclude=*.a");
}

static void test_env_forms(void **state)
{
	static const char text[] =
	    "FROM a\n"
	    "ENV A=1 B=\"two words\" C='single $x' D=esc\\ aped E=\"q\\\"uote\" F= G=\"\"\n"
	    "ENV LEGACY some value  with   spaces\n"
	    "ENV LEG2 \"quoted value\"\n"
	    "ENV PATH=/usr/local/bin:$PATH\n"
	    "ENV H=a=b\n"
	    "LABEL \"com.example.vendor\"=\"ACME Inc\" version=\"1.0\" description=\"multi \\\n"
	    "line\"\n"
	    "LABEL legacy value\n";
	_cleanup_df_ struct pd_dockerfile df = parse_ok(text);
	const struct pd_df_instr *in = df.stages[0].instrs;
	STRV(in[0].args, "A=1", "B=two words", "C=single $x", "D=esc aped", "E=q\"uote", "F=", "G=");
	STRV(in[0].raw, "A=1", "B=\"two words\"", "C='single $x'", "D=esc\\ aped", "E=\"q\\\"uote\"",
	     "F=", "G=\"\"");
	STRV(in[1].args, "LEGACY=some value  with   spaces");
	STRV(in[1].raw, "LEGACY=some value  with   spaces");
	STRV(in[2].args, "LEG2=quoted value");
	STRV(in[2].raw, "LEG2=\"quoted value\"");
	STRV(in[3].args, "PATH=/usr/local/bin:$PATH");
	STRV(in[4].args, "H=a=b");
	assert_int_equal(in[5].kind, PD_DF_LABEL);
	STRV(in[5].args, "com.example.vendor=ACME Inc", "version=1.0", "description=multi line");
	STRV(in[6].args, "legacy=value");
	check_parse_err("FROM a\nENV ONLYKEY\n", "line 2: ENV must have two arguments");
	check_parse_err("FROM a\nENV A=1 B\n", "line 2: syntax error - can't find = in \"B\"");
	check_parse_err("FROM a\nENV =1\n", "line 2: ENV names can not be blank");
	check_parse_err("FROM a\nENV A=\"open\n",
			"line 2: unexpected end of statement while looking for matching double-quote");
	check_parse_err("FROM a\nLABEL\n", "line 2: LABEL requires at least one argument");
}

static void test_arg(void **state)
{
	_cleanup_df_ struct pd_dockerfile df =
	    parse_ok("ARG A\nARG B=1 C=\"x y\"\nFROM a\nARG D=${B:-2}\nARG E='$lit'\n");
	STRV(df.global_args, "A", "B=1", "C=x y");
	STRV(df.global_args_raw, "A", "B=1", "C=\"x y\"");
	STRV(instr(&df, 0, 0)->args, "D=${B:-2}");
	STRV(instr(&df, 0, 1)->args, "E=$lit");
	STRV(instr(&df, 0, 1)->raw, "E='$lit'");
	check_parse_err("FROM a\nARG\n", "line 2: ARG requires at least one argument");
}

static void test_from_and_stages(void **state)
{
	_cleanup_df_ struct pd_dockerfile df =
	    parse_ok("FROM a AS one\nFROM one as Two\nFROM  b:1@sha256:00  \nFROM scratch AS x-y_z.1\n");
	assert_int_equal(df.n_stages, 4);
	assert_string_equal(df.stages[0].name, "one");
	assert_string_equal(df.stages[1].name, "two");
	assert_string_equal(df.stages[1].base, "one");
	assert_null(df.stages[2].name);
	assert_string_equal(df.stages[2].base, "b:1@sha256:00");
	assert_string_equal(df.stages[3].name, "x-y_z.1");
	for (unsigned k = 0; k < 4; k++) {
		assert_int_equal(df.stages[k].index, k);
		assert_int_equal(df.stages[k].line, k + 1);
		assert_int_equal(df.stages[k].n_instrs, 0);
	}
	check_parse_err("FROM a AS x\nRUN true\nFROM b AS X\n", "line 3: duplicate stage name \"x\"");
	check_parse_err("FROM a AS x\nFROM b AS y\nFROM c AS y\nFROM d AS x\n",
			"line 3: duplicate stage name \"y\"");
	check_parse_err("FROM a AS 1x\n", "line 1: invalid name for build stage");
	check_parse_err("FROM a AS x!\n", "line 1: invalid name for build stage");
	check_parse_err("FROM a b\n", "line 1: FROM requires either one or three arguments");
	check_parse_err("FROM a TO b\n", "line 1: FROM requires either one or three arguments");
	check_parse_err("FROM\n", "line 1: FROM requires at least one argument");
}

static void test_errors(void **state)
{
	check_parse_err("", "no instructions");
	check_parse_err("# only a comment\n\n", "no instructions");
	check_parse_err("ARG A=1\n", "no FROM");
	check_parse_err("FROM a\nRUN x\n\n\nFORM b\n", "line 5: unknown instruction: FORM");
	check_parse_err("FROM a\nfoo bar\n", "line 2: unknown instruction: FOO");
	check_parse_err("RUN x\nFROM a\n", "line 1: RUN before the first FROM");
	check_parse_err("# c\nENV A=1\nFROM a\n", "line 2: ENV before the first FROM");
	check_parse_err("FROM a\nCOPY onlyone\n", "line 2: COPY requires at least two arguments");
	check_parse_err("FROM a\nADD [\"x\"]\n", "line 2: ADD requires at least two arguments");
	check_parse_err("FROM a\nRUN\n", "line 2: RUN requires at least one argument");
	check_parse_err("FROM a\nWORKDIR   \n", "line 2: WORKDIR requires at least one argument");
	check_parse_err("FROM a\nHEALTHCHECK CMD\n", "line 2: missing command after HEALTHCHECK CMD");
	check_parse_err("FROM a\nHEALTHCHECK NONE x\n", "line 2: HEALTHCHECK NONE takes no arguments");
	check_parse_err("FROM a\nHEALTHCHECK RUN x\n", "line 2: unknown type \"RUN\" in HEALTHCHECK");
	check_parse_err("FROM a\nONBUILD ONBUILD RUN x\n", "line 2: chaining ONBUILD");
	check_parse_err("FROM a\nONBUILD FROM b\n", "line 2: FROM isn't allowed as an ONBUILD trigger");
	check_parse_err("FROM a\nONBUILD maintainer b\n",
			"line 2: MAINTAINER isn't allowed as an ONBUILD trigger");
	check_parse_err("FROM a\nONBUILD frob b\n", "line 2: unknown instruction in ONBUILD: FROB");
	/* The error line is the instruction's first line. */
	check_parse_err("FROM a\nRUN a \\\n  b \\\n  c\nCOPY x\n", "line 5: COPY requires");
	check_parse_err("FROM a\nENV A=1 \\\n  B\n", "line 2: syntax error");
	/* NUL bytes. */
	{
		_cleanup_free_ char *m = parse_err_n("FROM a\nRUN a\0b\n", 14);
		assert_string_equal(m, "line 2: a NUL byte in the Dockerfile");
	}
	/* Unprintable bytes in a keyword are escaped in the message. */
	check_parse_err("FROM a\n\x1b[31mX y\n", "line 2: unknown instruction: \\x1b[31MX");
}

static void test_onbuild(void **state)
{
	_cleanup_df_ struct pd_dockerfile df = parse_ok(
	    "FROM a\nONBUILD ADD . /app/src\nonbuild   RUN --mount=type=cache,target=/c make \\\n  all\n");
	STRV(instr(&df, 0, 0)->args, "ADD . /app/src");
	STRV_NONE(instr(&df, 0, 0)->flags);
	STRV(instr(&df, 0, 1)->args, "RUN --mount=type=cache,target=/c make   all");
	assert_string_equal(instr(&df, 0, 1)->text, "ONBUILD RUN --mount=type=cache,target=/c make   all");
}

static void test_workdir_user_rest(void **state)
{
	_cleanup_df_ struct pd_dockerfile df =
	    parse_ok("FROM a\nWORKDIR /my  dir\nUSER app:app\nSTOPSIGNAL 9\n");
	STRV(instr(&df, 0, 0)->args, "/my", "dir");
	assert_string_equal(instr(&df, 0, 0)->rest, "/my  dir");
	assert_string_equal(instr(&df, 0, 1)->rest, "app:app");
	STRV(instr(&df, 0, 2)->args, "9");
}

/* ---- heredocs --------------------------------------------------------------- */

static void test_heredoc_run(void **state)
{
	static const char text[] = "FROM a\n"
				   "RUN <<EOF\n"
				   "apt-get update\n"
				   "  # kept: a heredoc body is not Dockerfile text \\\n"
				   "\n"
				   "echo $HOME\n"
				   "EOF\n"
				   "RUN python3 <<'PY'\n"
				   "print('$x')\n"
				   "PY\n"
				   "RUN echo after\n";
	_cleanup_df_ struct pd_dockerfile df = parse_ok(text);
	assert_int_equal(df.stages[0].n_instrs, 3);
	const struct pd_df_instr *in = instr(&df, 0, 0);
	STRV(in->args, "<<EOF");
	assert_false(in->json);
	assert_int_equal(in->n_heredocs, 1);
	assert_string_equal(in->heredocs[0].name, "EOF");
	assert_string_equal(
	    in->heredocs[0].body,
	    "apt-get update\n  # kept: a heredoc body is not Dockerfile text \\\n\necho $HOME\n");
	assert_true(in->heredocs[0].expand);
	assert_false(in->heredocs[0].chomp);
	assert_string_equal(in->text,
			    "RUN <<EOF\napt-get update\n  # kept: a heredoc body is not Dockerfile text "
			    "\\\n\necho $HOME\nEOF");
	in = instr(&df, 0, 1);
	assert_int_equal(in->line, 8);
	STRV(in->args, "python3 <<'PY'");
	assert_int_equal(in->n_heredocs, 1);
	assert_string_equal(in->heredocs[0].name, "PY");
	assert_string_equal(in->heredocs[0].body, "print('$x')\n");
	assert_false(in->heredocs[0].expand);
	in = instr(&df, 0, 2);
	assert_int_equal(in->line, 11);
	STRV(in->args, "echo after");
	assert_int_equal(in->n_heredocs, 0);
}

static void test_heredoc_chomp_quoted_multi(void **state)
{
	static const char text[] = "FROM a\n"
				   "RUN <<-\"EOT\" bash && cat <<EOF2 > /f\n"
				   "\techo one\n"
				   "\t\t  two\n"
				   "\tEOT\n"
				   "\tnot chomped\n"
				   "EOF2\n"
				   "COPY <<a.txt <<b.txt /dst/\n"
				   "A\n"
				   "a.txt\n"
				   "B\n"
				   "b.txt\n"
				   "ADD --chmod=755 <<\"run.sh\" /usr/bin/\n"
				   "#!/bin/sh\n"
				   "run.sh\n"
				   "RUN echo '<<NOT' \"<<ALSO\" a<<b\n";
	_cleanup_df_ struct pd_dockerfile df = parse_ok(text);
	assert_int_equal(df.stages[0].n_instrs, 4);
	const struct pd_df_instr *in = instr(&df, 0, 0);
	STRV(in->args, "<<-\"EOT\" bash && cat <<EOF2 > /f");
	assert_int_equal(in->n_heredocs, 2);
	assert_string_equal(in->heredocs[0].name, "EOT");
	assert_true(in->heredocs[0].chomp);
	assert_false(in->heredocs[0].expand);
	assert_string_equal(in->heredocs[0].body, "echo one\n  two\n");
	assert_string_equal(in->heredocs[1].name, "EOF2");
	assert_false(in->heredocs[1].chomp);
	assert_true(in->heredocs[1].expand);
	assert_string_equal(in->heredocs[1].body, "\tnot chomped\n");
	in = instr(&df, 0, 1);
	assert_int_equal(in->line, 8);
	STRV(in->args, "<<a.txt", "<<b.txt", "/dst/");
	assert_int_equal(in->n_heredocs, 2);
	assert_string_equal(in->heredocs[0].name, "a.txt");
	assert_string_equal(in->heredocs[0].body, "A\n");
	assert_string_equal(in->heredocs[1].name, "b.txt");
	assert_string_equal(in->heredocs[1].body, "B\n");
	in = instr(&df, 0, 2);
	assert_int_equal(in->kind, PD_DF_ADD);
	STRV(in->flags, "--chmod=755");
	assert_int_equal(in->n_heredocs, 1);
	assert_string_equal(in->heredocs[0].name, "run.sh");
	assert_string_equal(in->heredocs[0].body, "#!/bin/sh\n");
	in = instr(&df, 0, 3);
	assert_int_equal(in->n_heredocs, 0);
	/* An empty body; a heredoc in a continued line. */
	_cleanup_df_ struct pd_dockerfile d2 = parse_ok("FROM a\nRUN cat \\\n  <<E\nE\nRUN x\n");
	assert_int_equal(instr(&d2, 0, 0)->n_heredocs, 1);
	assert_string_equal(instr(&d2, 0, 0)->heredocs[0].body, "");
	STRV(instr(&d2, 0, 1)->args, "x");
	assert_int_equal(instr(&d2, 0, 1)->line, 5);
	/* No heredocs in the exec form, nor in other instructions. */
	_cleanup_df_ struct pd_dockerfile d3 = parse_ok("FROM a\nRUN [\"cat\", \"<<E\"]\nCMD cat <<E\n");
	assert_int_equal(instr(&d3, 0, 0)->n_heredocs, 0);
	assert_int_equal(instr(&d3, 0, 1)->n_heredocs, 0);
}

static void test_heredoc_errors(void **state)
{
	check_parse_err("FROM a\nRUN <<EOF\necho\n", "line 2: unterminated heredoc 'EOF'");
	check_parse_err("FROM a\nRUN <<A <<B\nx\nA\ny\n", "line 2: unterminated heredoc 'B'");
	/* The delimiter must be the whole line (no blanks after, no tabs
	 * before without <<-). */
	check_parse_err("FROM a\nRUN <<EOF\nEOF \n", "unterminated heredoc");
	check_parse_err("FROM a\nRUN <<EOF\n\tEOF\n", "unterminated heredoc");
	check_parse_err("FROM a\nCOPY <<\"EOF /x\nEOF\n", "line 2:");
}

/* ---- expansion and words ------------------------------------------------------ */

static void test_expand(void **state)
{
	char *env[] = { "A=apple", "B=", "PATH=/bin", "A=avocado", "SP=a b", NULL };
	EXPAND("", env, "");
	EXPAND("plain", env, "plain");
	EXPAND("$A", env, "avocado");
	EXPAND("${A}", env, "avocado");
	EXPAND("x${A}y", env, "xavocadoy");
	EXPAND("$A-$A", env, "avocado-avocado");
	EXPAND("$PATH:/usr/bin", env, "/bin:/usr/bin");
	EXPAND("$UNSET|${UNSET}|", env, "||");
	EXPAND("${UNSET:-def}", env, "def");
	EXPAND("${B:-def}", env, "def");
	EXPAND("${B-def}", env, "");
	EXPAND("${UNSET-def}", env, "def");
	EXPAND("${A:-def}", env, "avocado");
	EXPAND("${A:+alt}", env, "alt");
	EXPAND("${B:+alt}", env, "");
	EXPAND("${B+alt}", env, "alt");
	EXPAND("${UNSET+alt}", env, "");
	EXPAND("${UNSET:-$A}", env, "avocado");
	EXPAND("${UNSET:-${B:-deep}}", env, "deep");
	EXPAND("${UNSET:-a b}", env, "a b");
	EXPAND("${A:?}", env, "avocado");
	EXPAND("$SP", env, "a b");
	/* Lone and odd dollars. */
	EXPAND("$", env, "$");
	EXPAND("a$ b", env, "a$ b");
	EXPAND("$/x", env, "$/x");
	EXPAND("$1x", env, "x");
	/* Escapes: \$ is a literal '$' (escape removed); others are kept
	 * for the word split after. */
	EXPAND("\\$A", env, "$A");
	EXPAND("\\${A}", env, "${A}");
	EXPAND("\\\\$A", env, "\\\\avocado");
	EXPAND("a\\ b", env, "a\\ b");
	EXPAND("end\\", env, "end\\");
	/* Quotes kept; nothing expands inside single quotes. */
	EXPAND("'$A'", env, "'$A'");
	EXPAND("\"$A\"", env, "\"avocado\"");
	EXPAND("\"'$A'\"", env, "\"'avocado'\"");
	EXPAND("'a'$A'b'", env, "'a'avocado'b'");
	EXPAND("\"\\$A\"", env, "\"$A\"");
	EXPAND("\"a\\\"b $A\"", env, "\"a\\\"b avocado\"");
	/* A lone quote (a value whose quotes were removed) is a character. */
	EXPAND("it's $A", env, "it's avocado");
	EXPAND("\"open $A", env, "\"open avocado");
	/* ${A#pat} and friends. */
	char *env2[] = { "F=archive.tar.gz", NULL };
	EXPAND("${F%.*}", env2, "archive.tar");
	EXPAND("${F%%.*}", env2, "archive");
	EXPAND("${F#*.}", env2, "tar.gz");
	EXPAND("${F##*.}", env2, "gz");
	/* The other escape. */
	_cleanup_free_ char *r = expand("`$A \\$A", env, '`');
	assert_string_equal(r, "$A \\avocado");
	/* NULL env. */
	_cleanup_free_ char *r2 = expand("${X:-d}$X", NULL, '\\');
	assert_string_equal(r2, "d");
}

static void test_expand_errors(void **state)
{
	char *env[] = { "A=1", "E=", NULL };
	check_expand_fails("${", env, "missing '}'");
	check_expand_fails("${A", env, "missing '}'");
	check_expand_fails("${A:-x", env, "missing '}'");
	check_expand_fails("${}", env, "bad substitution");
	check_expand_fails("${:-x}", env, "bad substitution");
	check_expand_fails("${{A}}", env, "bad substitution");
	check_expand_fails("${A!}", env, "unsupported modifier");
	check_expand_fails("${A:x}", env, "unsupported modifier");
	check_expand_fails("${A/a/b}", env, "unsupported modifier");
	check_expand_fails("${UNSET:?}", env, "UNSET: is not allowed to be unset");
	check_expand_fails("${E:?must be set}", env, "E: must be set");
	check_expand_fails("${UNSET?}", env, "UNSET");
	/* Deep nesting is refused, not a stack overflow. */
	struct buf_s {
		char *s;
	} b = { xcalloc(1, 70000) };
	for (int k = 0; k < 10000; k++)
		strcat(b.s, "${X:-");
	check_expand_fails(b.s, env, "nested too deeply");
	free(b.s);
}

static void test_expand_word(void **state)
{
	char *env[] = { "A=apple", "Q=a\"b", "SP=x  y", NULL };
	EXPAND_WORD("$A", env, "apple");
	EXPAND_WORD("'$A'", env, "$A");
	EXPAND_WORD("\"$A\"", env, "apple");
	EXPAND_WORD("\"a b\"", env, "a b");
	EXPAND_WORD("a\\ b", env, "a b");
	EXPAND_WORD("\\$A", env, "$A");
	EXPAND_WORD("\\\\$A", env, "\\apple");
	EXPAND_WORD("\"\\a\"", env, "\\a");
	EXPAND_WORD("\"\\\"\"", env, "\"");
	EXPAND_WORD("$Q", env, "a\"b");
	EXPAND_WORD("$SP", env, "x  y");
	EXPAND_WORD("it\"'\"s", env, "it's");
	EXPAND_WORD("${U:-\"d e\"}", env, "d e");
	_cleanup_err_ struct pd_err *err = NULL;
	assert_null(pd_df_expand_word("'open", env, '\\', &err));
	assert_non_null(strstr(err->msg, "single-quote"));
	_cleanup_err_ struct pd_err *err2 = NULL;
	assert_null(pd_df_expand_word("\"open", env, '\\', &err2));
	assert_non_null(strstr(err2->msg, "double-quote"));
	/* The other escape character. */
	_cleanup_free_ char *bt = expand_word("C:\\dir` x`$A\"`\"\"", env, '`');
	assert_string_equal(bt, "C:\\dir x$A\"");
	/* Quotes inside a default, and a '}' escaped or quoted in it. */
	EXPAND_WORD("${U:-'}'}", env, "}");
	EXPAND_WORD("${U:-\\}}", env, "}");
	EXPAND_WORD("${A:+\"$A $A\"}", env, "apple apple");
	/* The raw ENV value and pd_df_expand_word give Docker's result. */
	_cleanup_df_ struct pd_dockerfile df = parse_ok("FROM a\nENV X='$A' Y=\"$A b\" Z=\\$A\n");
	const char *want[] = { "$A", "apple b", "$A" };
	for (int k = 0; k < 3; k++) {
		const char *v = strchr(instr(&df, 0, 0)->raw[k], '=') + 1;
		_cleanup_free_ char *r = expand_word(v, env, '\\');
		assert_string_equal(r, want[k]);
	}
}

static void test_words(void **state)
{
	WORDS_NONE("");
	WORDS_NONE("  \t ");
	WORDS("a", "a");
	WORDS(" a  b\tc ", "a", "b", "c");
	WORDS("\"a b\" c", "a b", "c");
	WORDS("'a b' c", "a b", "c");
	WORDS("a\\ b", "a b");
	WORDS("x\"y z\"w", "xy zw");
	WORDS("\"\" ''", "", "");
	WORDS("'\\'", "\\");
	WORDS("\"\\\"\\$\\\\\\a\"", "\"$\\\\a");
	WORDS("80/tcp 443", "80/tcp", "443");
	check_words("C:\\dir `\"q`\" a` b", '`', (const char *const[]){ "C:\\dir", "\"q\"", "a b", NULL });
	_cleanup_err_ struct pd_err *err = NULL;
	assert_null(pd_df_words("'open", '\\', &err));
	assert_non_null(err);
	assert_non_null(strstr(err->msg, "unterminated"));
	_cleanup_err_ struct pd_err *err2 = NULL;
	assert_null(pd_df_words("a \"open", '\\', &err2));
	assert_non_null(err2);
}

/* ---- .dockerignore ------------------------------------------------------------ */

static struct pd_ignore *ignore_ok(const char *text)
{
	struct pd_ignore *ig = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	if (pd_ignore_parse(text, strlen(text), &ig, &err) < 0)
		fail_msg("ignore parse failed: %s", err->msg);
	assert_non_null(ig);
	return ig;
}

static void ignore_freep(struct pd_ignore **ig)
{
	pd_ignore_free(*ig);
}
#define _cleanup_ignore_ _cleanup_(ignore_freep)

#define EXCLUDED(ig, p) assert_true(pd_ignore_match((ig), (p)))
#define INCLUDED(ig, p) assert_false(pd_ignore_match((ig), (p)))

static void test_ignore_basic(void **state)
{
	_cleanup_ignore_ struct pd_ignore *ig = ignore_ok("# comment\n"
							  "\n"
							  "node_modules\n"
							  "  *.log  \n"
							  "/build/\n"
							  "./tmp\n"
							  "docs/*.md\n"
							  "a/../secret\n"
							  "x/./y//z\n");
	EXCLUDED(ig, "node_modules");
	EXCLUDED(ig, "node_modules/x/y");
	INCLUDED(ig, "src/node_modules");
	INCLUDED(ig, "node_modules2");
	EXCLUDED(ig, "debug.log");
	INCLUDED(ig, "logs/debug.log"); /* '*' does not cross '/' */
	EXCLUDED(ig, "build");
	EXCLUDED(ig, "build/out.o");
	EXCLUDED(ig, "tmp/a");
	EXCLUDED(ig, "docs/a.md");
	INCLUDED(ig, "docs/sub/a.md");
	EXCLUDED(ig, "secret");
	EXCLUDED(ig, "x/y/z/w");
	INCLUDED(ig, "# comment");
	INCLUDED(ig, "main.c");
	INCLUDED(ig, "Dockerfile");
	/* A '#' after blanks is a pattern, as in Docker. */
	_cleanup_ignore_ struct pd_ignore *ig2 = ignore_ok("  #x\n");
	EXCLUDED(ig2, "#x");
	/* An empty file excludes nothing; NULL too. */
	_cleanup_ignore_ struct pd_ignore *ig3 = ignore_ok("");
	INCLUDED(ig3, "a");
	INCLUDED(NULL, "a");
	assert_false(pd_ignore_may_include_below(NULL, "a"));
}

static void test_ignore_doublestar(void **state)
{
	_cleanup_ignore_ struct pd_ignore *ig = ignore_ok("**/*.go\n**/.git\nlogs/**\na/**/b\n");
	EXCLUDED(ig, "main.go");
	EXCLUDED(ig, "cmd/x/main.go");
	INCLUDED(ig, "main.go.txt");
	EXCLUDED(ig, ".git");
	EXCLUDED(ig, "sub/.git/config");
	INCLUDED(ig, "sub/.gitignore");
	EXCLUDED(ig, "logs/a");
	EXCLUDED(ig, "logs/a/b/c");
	INCLUDED(ig, "logs");
	EXCLUDED(ig, "a/b");
	EXCLUDED(ig, "a/x/b");
	EXCLUDED(ig, "a/x/y/b/c");
	INCLUDED(ig, "a/xb");
	INCLUDED(ig, "ab");
	_cleanup_ignore_ struct pd_ignore *all = ignore_ok("**\n");
	EXCLUDED(all, "anything");
	EXCLUDED(all, "deep/down/there");
	/* The classic: everything, then exceptions. */
	_cleanup_ignore_ struct pd_ignore *ig2 = ignore_ok("*\n!src\n!package.json\n");
	EXCLUDED(ig2, "README.md");
	EXCLUDED(ig2, "test/x");
	INCLUDED(ig2, "src");
	INCLUDED(ig2, "src/a/b.c");
	INCLUDED(ig2, "package.json");
}

static void test_ignore_exceptions_order(void **state)
{
	/* The last matching line wins. */
	_cleanup_ignore_ struct pd_ignore *ig = ignore_ok("*.md\n!README.md\nREADME-secret.md\n");
	EXCLUDED(ig, "CHANGES.md");
	INCLUDED(ig, "README.md");
	EXCLUDED(ig, "README-secret.md");
	_cleanup_ignore_ struct pd_ignore *ig2 = ignore_ok("!README.md\n*.md\n");
	EXCLUDED(ig2, "README.md");
	/* An exception for a file inside an excluded directory. */
	_cleanup_ignore_ struct pd_ignore *ig3 = ignore_ok("docs\n!docs/keep.md\n");
	EXCLUDED(ig3, "docs");
	EXCLUDED(ig3, "docs/a.md");
	INCLUDED(ig3, "docs/keep.md");
	/* Blank after '!' is allowed; '!' alone is an error. */
	_cleanup_ignore_ struct pd_ignore *ig4 = ignore_ok("*.txt\n! keep.txt\n");
	INCLUDED(ig4, "keep.txt");
	EXCLUDED(ig4, "other.txt");
}

static void test_ignore_classes_escapes(void **state)
{
	_cleanup_ignore_ struct pd_ignore *ig =
	    ignore_ok("file[0-9].txt\n[^a]?.c\nlit\\*star\nq\\?\n[a\\]]z\n");
	EXCLUDED(ig, "file1.txt");
	INCLUDED(ig, "fileA.txt");
	EXCLUDED(ig, "bx.c");
	INCLUDED(ig, "ax.c");
	EXCLUDED(ig, "lit*star");
	INCLUDED(ig, "litXstar");
	EXCLUDED(ig, "q?");
	INCLUDED(ig, "qx");
	EXCLUDED(ig, "]z");
	EXCLUDED(ig, "az");
	struct pd_ignore *bad = NULL;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_ignore_parse("ok\n[unterminated\n", 17, &bad, &err), -1);
	assert_null(bad);
	assert_non_null(strstr(err->msg, "line 2"));
	_cleanup_err_ struct pd_err *err2 = NULL;
	assert_int_equal(pd_ignore_parse("a\n!\n", 4, &bad, &err2), -1);
	assert_non_null(strstr(err2->msg, "line 2: illegal exclusion pattern"));
	_cleanup_err_ struct pd_err *err3 = NULL;
	assert_int_equal(pd_ignore_parse("a\0b", 3, &bad, &err3), -1);
	_cleanup_err_ struct pd_err *err4 = NULL;
	assert_int_equal(pd_ignore_parse("trailing\\", 9, &bad, &err4), -1);
}

static void test_ignore_may_include_below(void **state)
{
	_cleanup_ignore_ struct pd_ignore *ig = ignore_ok("docs\n!docs/keep.md\nvendor\n!**/LICENSE\n");
	assert_true(pd_ignore_may_include_below(ig, "docs"));
	assert_true(pd_ignore_may_include_below(ig, "vendor")); /* vendor/x/LICENSE */
	_cleanup_ignore_ struct pd_ignore *ig2 = ignore_ok("docs\nbuild\n!docs/keep.md\n!src/*.c\n");
	assert_true(pd_ignore_may_include_below(ig2, "docs"));
	assert_false(pd_ignore_may_include_below(ig2, "build"));
	assert_false(pd_ignore_may_include_below(ig2, "doc"));
	assert_false(pd_ignore_may_include_below(ig2, "docs/sub")); /* docs/keep.md is not below it */
	assert_true(pd_ignore_may_include_below(ig2, "src"));
	_cleanup_ignore_ struct pd_ignore *ig3 = ignore_ok("*\n!*/keep\n");
	assert_true(pd_ignore_may_include_below(ig3, "a"));
	assert_false(pd_ignore_may_include_below(ig3, "a/b"));
	/* No exceptions at all: never. */
	_cleanup_ignore_ struct pd_ignore *ig4 = ignore_ok("node_modules\n**/*.o\n");
	assert_false(pd_ignore_may_include_below(ig4, "node_modules"));
}

/* ---- hostile input -------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_hostile_sizes(void **state)
{
	const size_t mb = 1 << 20;
	char *t = xmalloc(mb + 64);
	double t0 = now_s();
	/* One huge line of words. */
	strcpy(t, "FROM a\nCOPY");
	size_t n = strlen(t);
	while (n < mb) {
		memcpy(t + n, " ab", 3);
		n += 3;
	}
	strcpy(t + n, " /d\n");
	{
		_cleanup_df_ struct pd_dockerfile df = parse_ok(t);
		assert_int_equal(strv_len(instr(&df, 0, 0)->args), (mb - 11 + 2) / 3 + 1);
	}
	/* One ENV line of many pairs. */
	strcpy(t, "FROM a\nENV");
	n = strlen(t);
	while (n < mb) {
		memcpy(t + n, " a=b", 4);
		n += 4;
	}
	t[n] = '\0';
	{
		_cleanup_df_ struct pd_dockerfile df = parse_ok(t);
		assert_true(strv_len(instr(&df, 0, 0)->args) > 200000);
	}
	/* A deep continuation: 300,000 lines. */
	strcpy(t, "FROM a\nRUN x");
	n = strlen(t);
	while (n < mb) {
		memcpy(t + n, " \\\n", 3);
		n += 3;
	}
	strcpy(t + n, "end\n");
	{
		_cleanup_df_ struct pd_dockerfile df = parse_ok(t);
		assert_int_equal(instr(&df, 0, 0)->line, 2);
	}
	/* Many stages with names, then a duplicate. */
	n = 0;
	for (int k = 0; n < mb - 40; k++)
		n += (size_t)sprintf(t + n, "FROM a AS s%d\n", k);
	strcpy(t + n, "FROM a AS s7\n");
	{
		_cleanup_free_ char *m = parse_err_n(t, strlen(t));
		assert_non_null(strstr(m, "duplicate stage name \"s7\""));
	}
	/* Many instructions, a long unterminated JSON array, an unterminated
	 * heredoc at the end. */
	strcpy(t, "FROM a\n");
	n = strlen(t);
	while (n < mb / 2) {
		memcpy(t + n, "RUN x\n", 6);
		n += 6;
	}
	strcpy(t + n, "CMD [");
	n += 5;
	while (n < mb - 20) {
		memcpy(t + n, "\"a\",", 4);
		n += 4;
	}
	strcpy(t + n, "\nRUN <<E\n");
	{
		_cleanup_free_ char *m = parse_err_n(t, strlen(t));
		assert_non_null(strstr(m, "unterminated heredoc"));
	}
	/* Deeply nested JSON is not a stack overflow. */
	memset(t, '[', mb);
	memcpy(t, "FROM a\nCMD ", 11);
	t[mb] = '\0';
	{
		_cleanup_df_ struct pd_dockerfile df = parse_ok(t);
		assert_false(instr(&df, 0, 0)->json);
	}
	/* .dockerignore: a pattern that backtracks exponentially elsewhere. */
	{
		_cleanup_ignore_ struct pd_ignore *ig =
		    ignore_ok("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n**/**/**/**/**/**/**/**/c\n");
		memset(t, 'a', 5000);
		t[5000] = '\0';
		INCLUDED(ig, t);
	}
	free(t);
	double dt = now_s() - t0;
	/* Linear work: well under a second, even under a sanitizer. */
	if (dt > 20)
		fail_msg("hostile inputs took %.1fs", dt);
}

/* A Node image with heredocs, a syntax line and an ONBUILD, as seen in
 * the wild. */
static void test_real_node_heredoc(void **state)
{
	static const char text[] = "# syntax=docker/dockerfile:1\n"
				   "FROM node:20-alpine AS deps\n"
				   "WORKDIR /app\n"
				   "COPY package.json package-lock.json* ./\n"
				   "RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev\n"
				   "\n"
				   "FROM node:20-alpine\n"
				   "ENV NODE_ENV=production \\\n"
				   "    PORT=3000\n"
				   "WORKDIR /app\n"
				   "COPY --from=deps /app/node_modules ./node_modules\n"
				   "COPY --chown=node:node . .\n"
				   "COPY <<-EOT /etc/motd\n"
				   "\tWelcome to ${NODE_ENV}\n"
				   "\tEOT\n"
				   "RUN <<EOF\n"
				   "set -e\n"
				   "addgroup -S app\n"
				   "adduser -S app -G app\n"
				   "EOF\n"
				   "USER node\n"
				   "EXPOSE ${PORT}\n"
				   "STOPSIGNAL SIGINT\n"
				   "ONBUILD COPY . /app\n"
				   "CMD [\"node\", \"server.js\"]\n";
	_cleanup_df_ struct pd_dockerfile df = parse_ok(text);
	assert_string_equal(df.syntax, "docker/dockerfile:1");
	assert_int_equal(df.n_stages, 2);
	assert_string_equal(df.stages[0].name, "deps");
	assert_int_equal(df.stages[0].n_instrs, 3);
	STRV(instr(&df, 0, 1)->args, "package.json", "package-lock.json*", "./");
	const struct pd_df_stage *s = &df.stages[1];
	assert_int_equal(s->line, 7);
	assert_int_equal(s->n_instrs, 11);
	STRV(s->instrs[0].args, "NODE_ENV=production", "PORT=3000");
	const struct pd_df_instr *c = &s->instrs[4];
	assert_int_equal(c->kind, PD_DF_COPY);
	assert_int_equal(c->line, 13);
	STRV(c->args, "<<-EOT", "/etc/motd");
	assert_int_equal(c->n_heredocs, 1);
	assert_true(c->heredocs[0].chomp);
	assert_true(c->heredocs[0].expand);
	assert_string_equal(c->heredocs[0].body, "Welcome to ${NODE_ENV}\n");
	assert_string_equal(c->text, "COPY <<-EOT /etc/motd\nWelcome to ${NODE_ENV}\nEOT");
	const struct pd_df_instr *r = &s->instrs[5];
	assert_int_equal(r->line, 16);
	assert_string_equal(r->heredocs[0].body, "set -e\naddgroup -S app\nadduser -S app -G app\n");
	assert_int_equal(s->instrs[6].line, 21);
	STRV(s->instrs[7].args, "${PORT}");
	STRV(s->instrs[9].args, "COPY . /app");
	assert_true(s->instrs[10].json);
}

/* The parse of one Dockerfile is independent of the one before: the
 * escape directive does not leak, and free leaves a clean value. */
static void test_free_and_reuse(void **state)
{
	struct pd_dockerfile df;
	_cleanup_err_ struct pd_err *err = NULL;
	const char *a = "# escape=`\nFROM a\n";
	assert_int_equal(pd_dockerfile_parse(a, strlen(a), &df, &err), 0);
	assert_int_equal(df.escape, '`');
	pd_dockerfile_free(&df);
	assert_int_equal(df.n_stages, 0);
	assert_null(df.stages);
	pd_dockerfile_free(&df); /* twice is harmless */
	const char *b = "FROM a\nRUN x \\\n y\n";
	assert_int_equal(pd_dockerfile_parse(b, strlen(b), &df, &err), 0);
	assert_int_equal(df.escape, '\\');
	STRV(instr(&df, 0, 0)->args, "x  y");
	pd_dockerfile_free(&df);
	/* A failed parse leaves nothing to free (but freeing is harmless). */
	const char *c = "FROM a\nRUN x\nBAD\n";
	assert_int_equal(pd_dockerfile_parse(c, strlen(c), &df, &err), -1);
	assert_non_null(err);
	assert_int_equal(df.n_stages, 0);
	pd_dockerfile_free(&df);
	/* Only `len` bytes are read: the text need not end in NUL. */
	char buf[] = { 'F', 'R', 'O', 'M', ' ', 'a', 'X' };
	_cleanup_err_ struct pd_err *err2 = NULL;
	assert_int_equal(pd_dockerfile_parse(buf, 6, &df, &err2), 0);
	assert_string_equal(df.stages[0].base, "a");
	pd_dockerfile_free(&df);
}

static void test_ignore_clean_paths(void **state)
{
	_cleanup_ignore_ struct pd_ignore *ig = ignore_ok("!/keep\r\n"
							  "/a/b/../c/\r\n"
							  "../outside\n"
							  "./\n"
							  "deep/./x/.\n"
							  "//double//slash\n");
	EXCLUDED(ig, "a/c");
	EXCLUDED(ig, "a/c/d");
	INCLUDED(ig, "a/b");
	EXCLUDED(ig, "deep/x");
	EXCLUDED(ig, "double/slash");
	INCLUDED(ig, "keep");
	INCLUDED(ig, "outside");
	/* "." (from "./") names the context itself, never a path in it. */
	INCLUDED(ig, "x");
	/* An exception re-including a path a later line excludes again. */
	_cleanup_ignore_ struct pd_ignore *ig2 = ignore_ok("*\n!/keep\n");
	INCLUDED(ig2, "keep");
	INCLUDED(ig2, "keep/sub");
	EXCLUDED(ig2, "other");
	assert_false(pd_ignore_may_include_below(ig2, "x")); /* "keep" is not below "x" */
}

static void test_ignore_hostile(void **state)
{
	double t0 = now_s();
	/* A path of 2,000 components against a long pattern. */
	size_t n = 0;
	char *path = xmalloc(8200);
	for (int k = 0; k < 2000; k++) {
		memcpy(path + n, "ab/", 3);
		n += 3;
	}
	strcpy(path + n, "z");
	char *pat = xmalloc(20000);
	n = 0;
	for (int k = 0; k < 2000; k++) {
		memcpy(pat + n, "**/a*", 5);
		n += 5;
	}
	strcpy(pat + n, "q\n[");
	n = strlen(pat);
	for (int k = 0; k < 5000; k++)
		pat[n++] = (char)('a' + k % 26);
	strcpy(pat + n, "]\n");
	{
		_cleanup_ignore_ struct pd_ignore *ig = ignore_ok(pat);
		INCLUDED(ig, path);
		assert_false(pd_ignore_may_include_below(ig, path));
	}
	free(path);
	free(pat);
	if (now_s() - t0 > 20)
		fail_msg("hostile .dockerignore took %.1fs", now_s() - t0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_real_go_multistage),
		cmocka_unit_test(test_real_python),
		cmocka_unit_test(test_every_instruction),
		cmocka_unit_test(test_keywords_case_insensitive),
		cmocka_unit_test(test_comments_and_blanks),
		cmocka_unit_test(test_continuations),
		cmocka_unit_test(test_escape_directive_backtick),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_exec_and_shell_form),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_env_forms),
		cmocka_unit_test(test_arg),
		cmocka_unit_test(test_from_and_stages),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_onbuild),
		cmocka_unit_test(test_workdir_user_rest),
		cmocka_unit_test(test_heredoc_run),
		cmocka_unit_test(test_heredoc_chomp_quoted_multi),
		cmocka_unit_test(test_heredoc_errors),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_expand_errors),
		cmocka_unit_test(test_expand_word),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_ignore_basic),
		cmocka_unit_test(test_ignore_doublestar),
		cmocka_unit_test(test_ignore_exceptions_order),
		cmocka_unit_test(test_ignore_classes_escapes),
		cmocka_unit_test(test_ignore_may_include_below),
		cmocka_unit_test(test_hostile_sizes),
		cmocka_unit_test(test_real_node_heredoc),
		cmocka_unit_test(test_free_and_reuse),
		cmocka_unit_test(test_ignore_clean_paths),
		cmocka_unit_test(test_ignore_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
