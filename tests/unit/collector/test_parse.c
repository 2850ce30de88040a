/* SPDX-License-Identifier: MIT */
/* test_parse.c - parse.c: counts, sizes (k/m/g binary, any case), size prefixes inside longer
 * values, durations (s/m/h/d, fractions, sign only where allowed), booleans (the preload's
 * words), and the one error shape "OPT: 'VALUE' is not a WHAT (ALLOWED)". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "parse.h"

static void test_count(void **state)
{
	(void)state;
	struct err e = {{0}};
	uint64_t v = 7;
	assert_int_equal(parse_count("--top", "0", 0, 10, &v, &e), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_count("--top", "10", 0, 10, &v, &e), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_count("--top", "18446744073709551615", 0, UINT64_MAX, &v, &e), 0);
	assert_true(v == UINT64_MAX);
	const char *bad[] = {
	    "", "x", "-1", "+1", " 1", "1 ", "11", "1k", "0x10", "1.0", "18446744073709551616"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		assert_int_equal(parse_count("--top", bad[i], 0, 10, &v, &e), -1);
		assert_int_equal(v, 7);
	}
	assert_int_equal(parse_count("--pid", "0", 1, 10, &v, &e), -1);
	assert_int_equal(parse_count("--top", "x", 0, 10, &v, &e), -1);
	assert_string_equal(e.msg, "--top: 'x' is not a count (0..10)");
	assert_int_equal(parse_count("--top", NULL, 0, 10, &v, &e), -1);
	assert_string_equal(e.msg, "--top: '' is not a count (0..10)");
}

static void test_size(void **state)
{
	(void)state;
	struct err e = {{0}};
	uint64_t v = 0;
	const struct {
		const char *s;
		uint64_t v;
	} good[] = {{"0", 0},         {"4096", 4096},     {"64k", 65536},
	            {"64K", 65536},   {"1m", 1 << 20},    {"1M", 1 << 20},
	            {"1g", 1u << 30}, {"3G", 3ull << 30}, {"17179869183g", 17179869183ull << 30}};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(parse_size("--min-bytes", good[i].s, 0, UINT64_MAX, &v, &e), 0);
		assert_true(v == good[i].v);
	}
	const char *bad[] = {"",   "k",    "64x",  "64kb", "1.5k",
	                     "-1", " 64k", "64k ", "1t",   "17179869184g"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_size("--min-bytes", bad[i], 0, UINT64_MAX, &v, &e), -1);
	assert_int_equal(parse_size("--limit", "0", 1, 100, &v, &e), -1);
	assert_int_equal(parse_size("--limit", "1k", 1, 1023, &v, &e), -1);
	assert_string_equal(
	    e.msg, "--limit: '1k' is not a size (1..1023 bytes; suffix k, m or g allowed)");
}

static void test_size_prefix(void **state)
{
	(void)state;
	const char *end;
	assert_true(parse_size_prefix("64k", &end) == 65536 && !*end);
	assert_true(parse_size_prefix("1.5m/h", &end) == 1.5 * 1024 * 1024);
	assert_string_equal(end, "/h");
	assert_true(parse_size_prefix("10", &end) == 10 && !*end);
	assert_true(parse_size_prefix("x", &end) < 0);
	assert_true(parse_size_prefix("-1k", &end) < 0);
	assert_true(parse_size_prefix("0x10", &end) < 0);
	assert_true(parse_size_prefix("1e3", &end) < 0);
	assert_true(parse_size_prefix("inf", &end) < 0);
}

static void test_seconds(void **state)
{
	(void)state;
	struct err e = {{0}};
	double v = 0;
	const struct {
		const char *s;
		double v;
	} good[] = {{"5", 5},     {"0.5", 0.5},  {"4s", 4},   {"2m", 120},
	            {"1h", 3600}, {"1d", 86400}, {"1.5m", 90}};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(parse_seconds("--every", good[i].s, 0, 86400, &v, &e), 0);
		assert_true(v == good[i].v);
	}
	const char *bad[] = {"",    "x",   "s",   "5x",   "5ms", "5 s", "-5",
	                     "1e3", "inf", "nan", "0x10", "2d",  "0.01"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_seconds("--every", bad[i], 0.05, 86400, &v, &e), -1);
	assert_string_equal(
	    e.msg, "--every: '0.01' is not a duration (0.05..86400 seconds; suffix s, m, h or d "
	           "allowed)");
	/* A sign only where the range has negative values. */
	assert_int_equal(parse_seconds("--window", "-60", -1e12, 1e12, &v, &e), 0);
	assert_true(v == -60);
	assert_int_equal(parse_seconds("--window", "-1m", -1e12, 1e12, &v, &e), 0);
	assert_true(v == -60);
	assert_int_equal(parse_seconds("--window", "--1", -1e12, 1e12, &v, &e), -1);
}

static void test_bool(void **state)
{
	(void)state;
	struct err e = {{0}};
	bool v;
	const char *yes[] = {"1", "yes", "true", "on", "YES", "True", "ON"};
	const char *no[] = {"0", "no", "false", "off", "NO", "False", "Off"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		v = false;
		assert_int_equal(parse_bool("LEAK_X", yes[i], &v, &e), 0);
		assert_true(v);
		v = true;
		assert_int_equal(parse_bool("LEAK_X", no[i], &v, &e), 0);
		assert_false(v);
	}
	const char *bad[] = {"", "2", "y", "n", "maybe", "onn", "yes ", NULL};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_bool("LEAK_X", bad[i], &v, &e), -1);
	assert_int_equal(parse_bool("LEAK_X", "maybe", &v, &e), -1);
	assert_string_equal(
	    e.msg, "LEAK_X: 'maybe' is not a boolean (1, 0, yes, no, true, false, on, off)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_count),       cmocka_unit_test(test_size),
	    cmocka_unit_test(test_size_prefix), cmocka_unit_test(test_seconds),
	    cmocka_unit_test(test_bool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
