/* SPDX-License-Identifier: MIT */
/* test_frame_name.c - C++ names shortened as heaptrack does (templates elided, return type
 * dropped, operators kept), library frames told apart from the user's, control bytes
 * escaped for a terminal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "frame_name.h"

static void check(const char *full, const char *want)
{
	char buf[512];
	assert_string_equal(frame_name_short(full, buf, sizeof(buf)), want);
}

static void test_short(void **state)
{
	(void)state;
	char buf[512];
	check("handle_request(int)", "handle_request(int)");
	check("main", "main");
	check("std::map<std::__cxx11::basic_string<char, std::char_traits<char>, "
	      "std::allocator<char> >, int, std::less<std::__cxx11::basic_string<char> > "
	      ">::operator[](std::__cxx11::basic_string<char, std::char_traits<char>, "
	      "std::allocator<char> > const&)",
	      "std::map<...>::operator[](std::basic_string<...> const&)");
	check("std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > "
	      "std::operator+<char, std::char_traits<char>, std::allocator<char> >(char const*, "
	      "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >&&)",
	      "std::operator+<...>(char const*, std::basic_string<...>&&)");
	check("void std::vector<int, std::allocator<int> >::_M_realloc_insert<int>(int&&)",
	      "std::vector<...>::_M_realloc_insert<...>(int&&)");
	check("operator new(unsigned long)", "operator new(unsigned long)");
	check("operator new[](unsigned long, std::align_val_t)",
	      "operator new[](unsigned long, std::align_val_t)");
	check("bool operator< <int>(Foo<int> const&, Foo<int> const&)",
	      "operator< <...>(Foo<...> const&, Foo<...> const&)");
	check("Foo::operator<<(std::ostream&)", "Foo::operator<<(std::ostream&)");
	check("Foo::operator->() const", "Foo::operator->() const");
	check("Foo::operator()(int)", "Foo::operator()(int)");
	check("(anonymous namespace)::worker(int)", "(anonymous namespace)::worker(int)");
	check("handle(int)::{lambda(int)#1}::operator()(int) const",
	      "handle(int)::{lambda(int)#1}::operator()(int) const");
	check("Foo::operator std::__cxx11::basic_string<char, std::char_traits<char>, "
	      "std::allocator<char> >() const",
	      "Foo::operator std::basic_string<...>() const");
	/* Still long after elision: the parameters go. */
	check("ns::Handler::process_request_with_a_long_name(ns::Request const&, ns::Response&, "
	      "std::vector<int, std::allocator<int> > const&, ns::Options const&, "
	      "ns::Context&) const",
	      "ns::Handler::process_request_with_a_long_name(...) const");
	assert_string_equal(
	    frame_name_compact("std::map<int, int>::operator[](int const&)", buf, sizeof(buf)),
	    "std::map<...>::operator[](...)");
	assert_string_equal(frame_name_compact("handle(int)", buf, sizeof(buf)), "handle(int)");
	char small[8];
	frame_name_short("abcdefghijklmnop", small, sizeof(small));
	assert_string_equal(small, "abcdefg");
}

static void test_library(void **state)
{
	(void)state;
	struct sym_frame f = {.module = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
	                      .function = "operator new(unsigned long)"};
	assert_true(frame_name_is_library(&f));
	f.module = "/srv/app";
	assert_true(frame_name_is_library(&f));
	f.function = "std::__new_allocator<int>::allocate(unsigned long, void const*)";
	assert_true(frame_name_is_library(&f));
	f.function = "void std::vector<int>::_M_realloc_insert<int>(int&&)";
	assert_true(frame_name_is_library(&f));
	f.function = "handle_request(int)";
	assert_false(frame_name_is_library(&f));
	f.path = "/usr/include/c++/12/bits/stl_map.h";
	assert_true(frame_name_is_library(&f));

	struct sym_frame frames[3] = {
	    {.module = "/lib/libstdc++.so.6", .function = "operator new(unsigned long)"},
	    {.module = "/srv/app", .function = "std::map<int, int>::operator[](int const&)"},
	    {.module = "/srv/app", .function = "handle_request(int)"},
	};
	struct sym_stack st = {.frames = frames, .n = 3, .cap = 3};
	assert_int_equal(frame_name_first_user(&st), 2);
	st.n = 2; /* all library: shown whole */
	assert_int_equal(frame_name_first_user(&st), 0);
}

/* Python and node: the interpreter's frames above the innermost Python or JavaScript frame
 * are folded; a native frame of another module (a C extension, a native addon) is the user's
 * code and stays first. */
static void test_first_user_python(void **state)
{
	(void)state;
	struct sym_frame frames[5] = {
	    {.module = "/usr/bin/python3.11"},
	    {.module = "/usr/bin/python3.11", .function = "_PyObject_MakeTpCall"},
	    {.function = "socket.__init__", .file = "socket.py", .line = 232, .python = true},
	    {.function = "leak_socket", .file = "app.py", .line = 11, .python = true},
	    {.module = "/usr/bin/python3.11", .function = "PyEval_EvalCode"},
	};
	struct sym_stack st = {.frames = frames, .n = 5, .cap = 5};
	assert_int_equal(frame_name_first_user(&st), 2);
	frames[1].module = "/usr/lib/libpython3.11.so.1.0";
	assert_int_equal(frame_name_first_user(&st), 2);
	frames[1] = (struct sym_frame){.module = "/srv/ext.so", .function = "ext_open"};
	assert_int_equal(frame_name_first_user(&st), 0); /* the interpreter frame: not library */
	frames[0] = (struct sym_frame){.module = "/lib/libc.so.6", .function = "malloc"};
	assert_int_equal(frame_name_first_user(&st), 1);

	/* node: libuv's and V8's frames above the innermost JavaScript frame. */
	struct sym_frame js[3] = {
	    {.module = "/usr/bin/node", .function = "uv__socket", .file = "core.c", .line = 498},
	    {.module = "/usr/bin/node",
	     .function = "Builtins_CEntry_Return1_ArgvOnStack_BuiltinExit"},
	    {.function = "createServerHandle", .file = "node:net", .line = 1798, .js = true},
	};
	struct sym_stack jst = {.frames = js, .n = 3, .cap = 3};
	assert_int_equal(frame_name_first_user(&jst), 2);
	js[1].module = "/srv/addon.node"; /* a native addon: the user's */
	assert_int_equal(frame_name_first_user(&jst), 0);
}

static void test_escape(void **state)
{
	(void)state;
	char buf[64];
	assert_string_equal(frame_name_escape("plain", buf, sizeof(buf)), "plain");
	assert_string_equal(frame_name_escape("a\x1b[31mb\n\x7f", buf, sizeof(buf)),
	                    "a\\x1b[31mb\\n\\x7f");
	/* Invalid UTF-8 and C1 controls byte by byte; valid UTF-8 kept. */
	assert_string_equal(frame_name_escape("u-\xff\xc3(-\xc2\x9b-\xc3\xa9", buf, sizeof(buf)),
	                    "u-\\xff\\xc3(-\\xc2\\x9b-\xc3\xa9");
	assert_string_equal(frame_name_escape("caf\xc3\xa9", buf, sizeof(buf)), "caf\xc3\xa9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_short),
	    cmocka_unit_test(test_library),
	    cmocka_unit_test(test_first_user_python),
	    cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
