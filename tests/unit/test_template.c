/* Unit tests for util/template-parse.c and util/template.c: the
 * Go-template engine behind --format, Docker's `table` handling and Go's
 * tabwriter.  The expected outputs are what Go's text/template and
 * text/tabwriter print for the same template and data (decoded JSON, as
 * `docker inspect --format` sees it), and the outputs Docker's
 * documentation shows.  Pure logic; no root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/cleanup.h"
#include "util/template.h"

/* Render `tmpl` against the JSON text `data` with `flags`; the output, or
 * "ERR: <message>" on a parse or execution error. */
static char *render_flags(const char *tmpl, const char *data, unsigned flags)
{
	_cleanup_err_ struct pd_err *err = NULL;
	json_t *d = data ? json_loads(data, JSON_DECODE_ANY, NULL) : NULL;
	if (data)
		assert_non_null(d);
	struct pd_tmpl *t = pd_tmpl_parse(tmpl, &err);
	char *out;
	if (!t) {
		assert_non_null(err);
		out = NULL;
		assert_true(asprintf(&out, "ERR: %s", err->msg) > 0);
	} else {
		size_t n;
		out = pd_tmpl_render(t, d, flags, &n, &err);
		if (!out) {
			assert_non_null(err);
			assert_true(asprintf(&out, "ERR: %s", err->msg) > 0);
		} else {
			assert_null(err);
			assert_int_equal(strlen(out), n);
		}
	}
	pd_tmpl_free(t);
	json_decref(d);
	return out;
}

static void check(const char *tmpl, const char *data, const char *want)
{
	_cleanup_free_ char *got = render_flags(tmpl, data, 0);
	if (strcmp(got, want))
		print_error("template %s\n  data %s\n  want [%s]\n  got  [%s]\n", tmpl,
			    data ? data : "(none)", want, got);
	assert_string_equal(got, want);
}

static const char *const container =
    "{\"Id\":\"4fa6e0f0c678\",\"Name\":\"/web\",\"Path\":\"sh\","
    "\"Args\":[\"-c\",\"sleep 60\"],"
    "\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":4242,"
    "\"ExitCode\":0,\"Health\":null},"
    "\"Config\":{\"Labels\":{\"com.example.x\":\"1\",\"a\":\"b\"},"
    "\"Env\":[\"PATH=/bin\",\"X=y\"],\"Image\":\"busybox:1.36\"},"
    "\"Mounts\":[{\"Source\":\"/srv\",\"Destination\":\"/data\"},"
    "{\"Source\":\"/tmp\",\"Destination\":\"/t\"}],"
    "\"NetworkSettings\":{\"Networks\":{\"bridge\":{\"IPAddress\":\"10.88.0.2\"}}}}";

static void test_fields(void **state)
{
	check("{{.Name}}", container, "/web");
	check("{{.State.Pid}}", container, "4242");
	check("{{.State.Running}} {{.State.ExitCode}}", container, "true 0");
	check("pid={{.State.Pid}}!", container, "pid=4242!");
	check("{{.}}", "\"plain\"", "plain");
	/* Docker prints <no value> for a key the object lacks, and for null. */
	check("{{.Nope}}", container, "<no value>");
	check("{{.State.Health}}", container, "<no value>");
	check("{{.Nope.Deeper}}", container, "<no value>");
	check("{{.}}", NULL, "<no value>");
	check("{{$.Name}} {{$}}", "{\"Name\":\"x\"}", "x map[Name:x]");
	check("{{.a.b}}", "{\"a\":\"str\"}", "ERR: template: can't evaluate field b in type string");
}

/* Docker's Label method of a list row: `.Label "k"` reads the row's
 * Labels ("k=v,k2=v2" as ps shows them, or an object). */
static void test_label_method(void **state)
{
	const char *row = "{\"Names\":\"web\",\"Labels\":\"a=1,team=core,x=p,q,empty=\"}";
	check("{{.Label \"team\"}}", row, "core");
	check("{{.Label \"a\"}}|{{.Label \"empty\"}}|{{.Label \"none\"}}", row, "1||");
	/* A value with a comma: the piece without '=' belongs to it. */
	check("{{.Label \"x\"}}", row, "p,q");
	check("{{\"team\" | .Label}}", row, "core");
	check("{{.Label \"team\" | upper}}", row, "CORE");
	check("{{if eq (.Label \"a\") \"1\"}}yes{{end}}", row, "yes");
	check("{{.Label \"com.example.x\"}}", "{\"Labels\":{\"com.example.x\":\"1\"}}", "1");
	check("{{.Config.Label \"a\"}}", container, "b");
	check("{{.Label \"a\"}}", "{\"Labels\":\"\"}", "");
	check("{{.Label \"a\"}}", "{\"Labels\":\"a=1\"}", "1");
	/* The key must be a string; no Labels, or a real field named Label,
	 * is not the method. */
	check("{{.Label 1}}", row, "ERR: template: wrong type for value; expected string; got int");
	check("{{.Label \"a\"}}", "{\"Names\":\"web\"}",
	      "ERR: template: can't give argument to non-function");
	check("{{.Label \"a\"}}", "{\"Label\":\"x\",\"Labels\":\"a=1\"}",
	      "ERR: template: can't give argument to non-function");
	check("{{.Label}}", row, "<no value>");
}

static void test_values(void **state)
{
	/* As Go prints decoded JSON: integers plainly (the record's integers
	 * are integers), other numbers in %v form. */
	check("{{.a}} {{.b}} {{.c}} {{.d}} {{.e}}",
	      "{\"a\":1234567,\"b\":1.5,\"c\":1e21,\"d\":0.00001,\"e\":-3}", "1234567 1.5 1e+21 1e-05 -3");
	check("{{.a}} {{.b}} {{.c}}", "{\"a\":1234567.5,\"b\":123456.0,\"c\":100000000.0}",
	      "1.2345675e+06 123456 1e+08");
	check("{{.g}}", "{\"g\":[1,\"x\",null,{\"k\":true}]}", "[1 x <nil> map[k:true]]");
	check("{{.Config.Labels}}", container, "map[a:b com.example.x:1]");
	check("{{.Mounts}}", container,
	      "[map[Destination:/data Source:/srv] map[Destination:/t Source:/tmp]]");
	check("{{.e}} {{.m}}", "{\"e\":[],\"m\":{}}", "[] map[]");
	check("{{'a'}} {{0x10}} {{1e3}} {{.5}} {{-3}} {{true}}", NULL, "97 16 1000 0.5 -3 true");
	check("{{\"\\t\\x41\\u00e9\\101\" | printf \"%q\"}} {{`raw\\n`}}", NULL, "\"\\tAéA\" raw\\n");
}

static void test_json(void **state)
{
	check("{{json .Config.Labels}}", container, "{\"com.example.x\":\"1\",\"a\":\"b\"}");
	check("{{json .Args}}", container, "[\"-c\",\"sleep 60\"]");
	check("{{json .State.Pid}} {{json .Name}} {{json .Nope}}", container, "4242 \"/web\" null");
	check("{{json .}}", "{\"a\":{\"b\":[1,\"c\"]}}", "{\"a\":{\"b\":[1,\"c\"]}}");
}

static void test_index(void **state)
{
	check("{{index .Config.Labels \"com.example.x\"}}", container, "1");
	check("{{index .Config.Labels \"missing\"}}", container, "<no value>");
	check("{{index .Args 1}}", container, "sleep 60");
	check("{{index .m.n \"a\" 0}}", "{\"m\":{\"n\":{\"a\":[7]}}}", "7");
	check("{{(index .Mounts 1).Destination}}", container, "/t");
	check("{{index .Args 5}}", container, "ERR: template: error calling index: index out of range: 5");
	check("{{index .Nope 0}}", container, "ERR: template: error calling index: index of untyped nil");
}

static void test_range(void **state)
{
	/* Docker's documented examples. */
	check("{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container, "10.88.0.2");
	check("{{range .NetworkSettings.Networks}}{{println .IPAddress}}{{end}}", container, "10.88.0.2\n");
	check("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}", container, "/srv:/data /tmp:/t ");
	check("{{range $i, $e := .Args}}{{$i}}={{$e}};{{end}}", container, "0=-c;1=sleep 60;");
	check("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}", container, "a=b,com.example.x=1,");
	check("{{range $e := .Args}}<{{$e}}>{{end}}", container, "<-c><sleep 60>");
	check("{{range .}}x{{else}}none{{end}}", "[]", "none");
	check("{{range .Nope}}x{{else}}none{{end}}", container, "none");
	check("{{range .}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}",
	      "[0,1,2,3,4]", "02");
	check("{{range .}}{{range $}}x{{end}}{{end}}", "[1,2,3]", "xxxxxxxxx");
	check("{{range 3}}{{end}}", NULL, "ERR: template: range can't iterate over int");
}

static void test_if(void **state)
{
	/* Go's truth: false, 0, nil, "", [] and {} are false. */
	static const char *const falsy[] = { "false", "0", "0.0", "null", "\"\"", "[]", "{}" };
	static const char *const truthy[] = { "true", "1", "0.5", "\"x\"", "[0]", "{\"a\":0}" };
	for (size_t i = 0; i < ARRAY_SIZE(falsy); i++)
		check("{{if .}}T{{else}}F{{end}}", falsy[i], "F");
	for (size_t i = 0; i < ARRAY_SIZE(truthy); i++)
		check("{{if .}}T{{else}}F{{end}}", truthy[i], "T");
	check("{{if .Nope}}T{{else}}F{{end}}", container, "F");
	check("{{if eq .State.Status \"running\"}}up{{else}}down{{end}}", container, "up");
	check("{{if eq .State.Status \"exited\"}}a{{else if .State.Running}}b{{else}}c{{end}}", container,
	      "b");
	check("{{with .State}}{{.Pid}}{{else}}no{{end}} {{with .Nope}}{{.}}{{else}}no{{end}}", container,
	      "4242 no");
	check("{{with $x := .Name}}{{$x}}{{end}}", container, "/web");
	check("{{if and .State.Running (eq .State.Pid 4242)}}yes{{end}}", container, "yes");
	check("{{or .z \"dflt\"}} {{not .a}} {{and 1 \"x\" 0}} {{and 1 2}} {{or 0 \"\"}}", "{\"a\":\"A\"}",
	      "dflt false 0 2 ");
	/* and/or stop at the deciding operand: the index error is never hit. */
	check("{{and false (index .Args 9)}}", container, "false");
}

static void test_compare(void **state)
{
	check("{{eq 1 2 3 1}} {{eq \"a\" \"b\"}} {{ne .State.Pid 1}} {{eq .State.Pid 4242.0}}", container,
	      "true false true true");
	check("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2}}", NULL, "true true true false");
	check("{{eq .Nope .Nada}} {{eq .Nope \"x\"}}", container, "true false");
	check("{{lt 1 \"a\"}}", NULL, "ERR: template: incompatible types for comparison: int and string");
}

static void test_strings(void **state)
{
	check("{{upper .Name}} {{lower \"ABC\"}} {{title \"hello wORLD foo_bar x-y\"}}", container,
	      "/WEB abc Hello WORLD Foo_bar X-Y");
	check("{{join .Args \" , \"}}", container, "-c , sleep 60");
	check("{{split .Config.Image \":\"}}", container, "[busybox 1.36]");
	check("{{split \"a,b,,c\" \",\"}} {{len (split \"héllo\" \"\")}}", NULL, "[a b  c] 5");
	check("{{len .Args}} {{len .Config.Labels}} {{len \"héllo\"}}", container, "2 2 6");
	check("[{{pad \"x\" 2 1}}] {{truncate \"abcdef\" 3}} {{truncate \"ab\" 3}}", NULL, "[  x ] abc ab");
	check("{{len 3}}", NULL, "ERR: template: error calling len: len of type int");
}

static void test_printf(void **state)
{
	check("{{printf \"%d|%s|%v|%q|%5s|%-5s|%x\" 3 \"a\" .a \"q\\\"\" \"ab\" \"cd\" 255}}",
	      "{\"a\":[1,2]}", "3|a|[1 2]|\"q\\\"\"|   ab|cd   |ff");
	check("{{printf \"%5.2f|%x|%X|%q|%c|%t|%e|%g|%08.3f|%+d|%z\" 3.14159 \"hi\" 255 65 65 true 1234.5 "
	      "0.000001 -3.5 5 1}}",
	      NULL, " 3.14|6869|FF|'A'|A|true|1.234500e+03|1e-06|-003.500|+5|%!z(int=1)");
	check("{{printf \"%d\"}} {{printf \"%s %s\" \"a\"}} {{printf \"%s\" \"a\" 2}} {{printf \"100%%\"}}",
	      NULL, "%!d(MISSING) a %!s(MISSING) a%!(EXTRA int=2) 100%");
	check("{{printf \"%6.2f|%-8q|%08d|%x\" 3.14159 \"hi\" -42 -255}}", NULL,
	      "  3.14|\"hi\"    |-0000042|-ff");
	check("{{printf \"%s is %d\" .Name .State.Pid}}", container, "/web is 4242");
	check("{{print \"a\" 1 2 \"b\" nil true}}|{{println}}|{{println 1 \"a\"}}", NULL,
	      "a1 2b<nil> true|\n|1 a\n");
	check("{{print .x.y}}", NULL, "<nil>");
}

static void test_trim_comments(void **state)
{
	check("{{ 3 -}} x {{- 4 }}|{{-3}}", NULL, "3x4|-3");
	check("{{/* c */}}a{{- /* c2 */ -}} b", NULL, "ab");
	check("{{- \"a\" -}}  \n\t {{- \"b\"}}", NULL, "ab");
	check("a\n{{- if true}}\n  b\n{{- end}}\n", NULL, "a\n  b\n");
}

static void test_pipes_vars(void **state)
{
	check("{{.Name | upper}}", container, "/WEB");
	check("{{.Args | join \"\" | printf \"%s!\"}}", container,
	      "ERR: template: error calling join: expected a "
	      "list, got string");
	check("{{.Name | printf \"%s-%s\" \"x\"}}", container, "x-/web");
	check("{{.Args | len | printf \"%03d\"}}", container, "002");
	check("{{$x := 1}}{{$x}}{{$x = 2}}{{$x}}{{if true}}{{$x = 3}}{{$y := 4}}{{end}}{{$x}}", NULL, "123");
	check("{{$n := .Name}}{{range .Args}}{{$n}}:{{.}} {{end}}", container, "/web:-c /web:sleep 60 ");
	check("{{$x := 1}}{{$x := 2}}{{$x}}", NULL, "2");
	check("{{(index .Mounts 0).Source | upper}}", container, "/SRV");
	check("{{1 2}}", NULL, "ERR: template: can't give argument to non-function");
	check("{{not}}", NULL, "ERR: template: wrong number of args for not: want 1 got 0");
}

static void test_parse_errors(void **state)
{
	/* Go's wording, on one line. */
	check("{{.a }", NULL, "ERR: template: :1: unexpected \"}\" in operand");
	check("{{foo}}", NULL, "ERR: template: :1: function \"foo\" not defined");
	check("{{if .a}}", NULL, "ERR: template: :1: unexpected EOF");
	check("{{end}}", NULL, "ERR: template: :1: unexpected {{end}}");
	check("{{else}}", NULL, "ERR: template: :1: unexpected {{else}}");
	check("{{$x}}", NULL, "ERR: template: :1: undefined variable \"$x\"");
	check("{{range $i, $e := .}}{{$i}}{{end}}{{$i}}", NULL,
	      "ERR: template: :1: undefined variable \"$i\"");
	check("{{\"abc}}", NULL, "ERR: template: :1: unterminated quoted string");
	check("{{if}}", NULL, "ERR: template: :1: missing value for if");
	check("{{}}", NULL, "ERR: template: :1: missing value for command");
	check("{{ .a)}}", NULL, "ERR: template: :1: unexpected \")\" in command");
	check("{{(1}}", NULL, "ERR: template: :1: unclosed left paren");
	check("a\nb\n{{.x", NULL, "ERR: template: :3: unclosed action");
	check("{{break}}", NULL, "ERR: template: :1: {{break}} outside {{range}}");
	check("{{template \"x\"}}", NULL, "ERR: template: :1: {{template}} is not supported");
	check("{{1x}}", NULL, "ERR: template: :1: bad number syntax: \"1x\"");
	check("{{/* x }}", NULL, "ERR: template: :1: unclosed comment");
	check("{{\"\\q\"}}", NULL, "ERR: template: :1: bad escape in quoted string");
	check("{{.a | }}", NULL, "ERR: template: :1: missing command in command");
}

static void test_bounds(void **state)
{
	/* Nesting past the limit is a parse error, not a deep recursion. */
	char *deep = NULL;
	size_t n = PD_TMPL_MAX_DEPTH + 5;
	struct buf_s {
		char *p;
		size_t len;
	} b = { calloc(n * 20 + 16, 1), 0 };
	for (size_t i = 0; i < n; i++)
		b.len += (size_t)sprintf(b.p + b.len, "{{if 1}}");
	for (size_t i = 0; i < n; i++)
		b.len += (size_t)sprintf(b.p + b.len, "{{end}}");
	deep = b.p;
	check(deep, NULL, "ERR: template: :1: blocks nested too deeply");
	memset(deep, 0, n * 20 + 16);
	b.len = 0;
	b.len += (size_t)sprintf(b.p + b.len, "{{");
	for (size_t i = 0; i < n; i++)
		b.len += (size_t)sprintf(b.p + b.len, "(");
	check(deep, NULL, "ERR: template: :1: parentheses nested too deeply");
	free(deep);
	/* A value that doubles on each pass stops at the byte limit. */
	check("{{$x := \"ab\"}}{{range .}}{{$x = printf \"%s%s\" $x $x}}{{end}}{{len $x}}",
	      "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]",
	      "ERR: template: output too large (over 16777216 bytes)");
	/* Nested ranges stop at the step limit. */
	check("{{range $}}{{range $}}{{range $}}{{range $}}{{range $}}{{end}}{{end}}{{end}}{{end}}{{end}}",
	      "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]",
	      "ERR: template: too many steps (over 2000000)");
	check("{{pad \"x\" 99999999999 0}}", NULL, "ERR: template: error calling pad: bad length");
	check("{{printf \"%99999999999d\" 1 | len}}", NULL, "1000");
}

static void test_safe(void **state)
{
	/* Control bytes in values are escaped; tab and newline, and the
	 * template's own text, are kept. */
	_cleanup_free_ char *got =
	    render_flags("a\x01{{.}}", "\"x\\u001b[31m\\t\\n\\r\\u0085\\u007fy\"", PD_TMPL_SAFE);
	assert_string_equal(got, "a\x01x\\x1b[31m\t\n\\r\\u0085\\x7fy");
}

static void test_docker_text(void **state)
{
	bool table;
	_cleanup_free_ char *a = pd_tmpl_docker_text("table {{.ID}}\\t{{.Status}}  ", &table);
	assert_true(table);
	assert_string_equal(a, "{{.ID}}\t{{.Status}}");
	_cleanup_free_ char *b = pd_tmpl_docker_text(" {{.ID}}\\n", &table);
	assert_false(table);
	assert_string_equal(b, "{{.ID}}\n");
}

/* What Go's tabwriter.NewWriter(w, 10, 1, 3, ' ', 0) prints (Docker's). */
static void check_tab(const char *in, const char *want)
{
	_cleanup_free_ char *got = pd_tabwriter(in, strlen(in), 10, 3);
	assert_string_equal(got, want);
}

static void test_tabwriter(void **state)
{
	check_tab("CONTAINER ID\tSTATUS\nabc\tUp 2 seconds\n",
		  "CONTAINER ID   STATUS\nabc            Up 2 seconds\n");
	check_tab("a\tb\tc\nlonger cell here\tx\ny\n1\t2\t3\n",
		  "a                  b         c\nlonger cell here   x\ny\n1         2         3\n");
	check_tab("x\n\ta\tb\n\t\tc\n", "x\n          a         b\n                    c\n");
	check_tab("h\xc3\xa9llo\tx\nh\ty", "h\xc3\xa9llo     x\nh         y");
	check_tab("a\t\tb\n\t\n", "a                   b\n          \n");
	check_tab("", "");
}

static void test_list_table(void **state)
{
	/* `docker ps --format "table {{.ID}}\t{{.Status}}"`: a header from
	 * the column titles, then the rows, aligned. */
	struct pd_tmpl_list l;
	_cleanup_err_ struct pd_err *err = NULL;
	assert_int_equal(pd_tmpl_list_init(&l, "table {{.ID}}\\t{{.Status}}\\t{{json .Names}}", &err), 0);
	assert_true(l.table);
	json_t *r1 =
	    json_pack("{s:s, s:s, s:s}", "ID", "4fa6e0f0c678", "Status", "Up 2 seconds", "Names", "web");
	json_t *r2 = json_pack("{s:s, s:s, s:s}", "ID", "0123456789ab", "Status", "Exited (0) 1 second ago",
			       "Names", "db");
	assert_int_equal(pd_tmpl_list_add(&l, r1, &err), 0);
	assert_int_equal(pd_tmpl_list_add(&l, r2, &err), 0);
	json_t *head =
	    json_pack("{s:s, s:s, s:s}", "ID", "CONTAINER ID", "Status", "STATUS", "Names", "NAMES");
	_cleanup_free_ char *out = pd_tmpl_list_finish(&l, head, &err);
	assert_string_equal(out, "CONTAINER ID   STATUS                    NAMES\n"
				 "4fa6e0f0c678   Up 2 seconds              \"web\"\n"
				 "0123456789ab   Exited (0) 1 second ago   \"db\"\n");
	pd_tmpl_list_free(&l);
	/* Without "table": the rows only, unaligned. */
	assert_int_equal(pd_tmpl_list_init(&l, "{{.ID}}: {{.Status}}", &err), 0);
	assert_int_equal(pd_tmpl_list_add(&l, r1, &err), 0);
	_cleanup_free_ char *plain = pd_tmpl_list_finish(&l, head, &err);
	assert_string_equal(plain, "4fa6e0f0c678: Up 2 seconds\n");
	pd_tmpl_list_free(&l);
	/* A header that fails to render keeps what came before the failure,
	 * as Docker's does; a row that fails is an error. */
	assert_int_equal(pd_tmpl_list_init(&l, "table {{.ID}}\\t{{index .Status 3}}", &err), 0);
	assert_int_equal(pd_tmpl_list_add(&l, r1, &err), -1);
	assert_non_null(err);
	pd_err_freep(&err);
	_cleanup_free_ char *hdr = pd_tmpl_list_finish(&l, head, &err);
	assert_string_equal(hdr, "CONTAINER ID   \n");
	pd_tmpl_list_free(&l);
	assert_int_equal(pd_tmpl_list_init(&l, "table {{.ID", &err), -1);
	assert_string_equal(err->msg, "template: :1: unclosed action");
	json_decref(r1);
	json_decref(r2);
	json_decref(head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_label_method),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_if),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_trim_comments),
		cmocka_unit_test(test_pipes_vars),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_safe),
		cmocka_unit_test(test_docker_text),
		cmocka_unit_test(test_tabwriter),
		cmocka_unit_test(test_list_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
