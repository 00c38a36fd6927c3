/*
 * The reviewer UI's HTML escaping and form decoding (src/review_html.c): the two places
 * where hostile input meets the page. Every value from the store or a request goes
 * through kk_html_esc; every form and query string through kk_form_parse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "kakuin/util.h"
#include "../../src/review_web.h"

static void
test_escape(void **state)
{
	kk_html h = {0};

	(void)state;
	kk_html_esc(&h, "<script>alert('x')</script> & \"q\"");
	assert_false(h.oom);
	assert_string_equal(h.p, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; "
	    "&quot;q&quot;");
	kk_html_free(&h);
	/* attribute breakouts and entities are escaped too; plain text and UTF-8 pass */
	kk_html_esc(&h, "\" onmouseover=\"x\" &amp; 株式会社");
	assert_string_equal(h.p, "&quot; onmouseover=&quot;x&quot; &amp;amp; 株式会社");
	kk_html_free(&h);
	kk_html_raw(&h, "<b>");
	assert_string_equal(h.p, "<b>");
	kk_html_free(&h);
}

static void
test_escape_oom(void **state)
{
	kk_html h = {0};

	(void)state;
	kk_alloc_fail_after(0);
	kk_html_esc(&h, "<x>");
	kk_html_raw(&h, "more");
	kk_alloc_fail_after(-1);
	assert_true(h.oom);
	kk_html_free(&h);
}

static void
test_form(void **state)
{
	static const char body[] = "name=Kakuin+Shoji%20K.K.&note=%3Cb%3E&empty=&csrf=ab%2Bcd";
	kk_form f;
	kk_err e;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(kk_form_parse(&f, body, strlen(body), &e), 0);
	assert_int_equal(f.n, 4);
	assert_string_equal(kk_form_get(&f, "name"), "Kakuin Shoji K.K.");
	assert_string_equal(kk_form_get(&f, "note"), "<b>");
	assert_string_equal(kk_form_get(&f, "empty"), "");
	assert_string_equal(kk_form_get(&f, "csrf"), "ab+cd");
	assert_null(kk_form_get(&f, "missing"));
	kk_form_clear(&f);
	/* the body is not NUL-terminated: only len bytes count */
	assert_int_equal(kk_form_parse(&f, "a=1&b=2XYZ", 7, &e), 0);
	assert_string_equal(kk_form_get(&f, "b"), "2");
	kk_form_clear(&f);
	assert_int_equal(kk_form_parse(&f, "", 0, &e), 0);
	assert_int_equal(f.n, 0);
	kk_form_clear(&f);
}

static void
test_form_hostile(void **state)
{
	static const char *const bad[] = {
		"note=%zz", "note=%4", "note=%", "note=a%00b", "=value", "a=1&a=2",
		"csrf=x&csrf=y",
	};
	char many[KK_FORM_MAX_FIELDS * 8 + 16] = "";
	kk_form f;
	size_t i;
	kk_err e;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&f, 0, sizeof(f));
		e.kind = KK_OK;
		assert_int_equal(kk_form_parse(&f, bad[i], strlen(bad[i]), &e), -1);
		assert_int_equal(e.kind, KK_ERR_MALFORMED);
		kk_form_clear(&f);
	}
	for (i = 0; i <= KK_FORM_MAX_FIELDS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sf%zu=1",
		    i ? "&" : "", i);
	memset(&f, 0, sizeof(f));
	assert_int_equal(kk_form_parse(&f, many, strlen(many), &e), -1);
	assert_int_equal(e.kind, KK_ERR_MALFORMED);
	kk_form_clear(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_oom),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_form_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
