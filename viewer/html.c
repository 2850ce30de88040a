/* SPDX-License-Identifier: MIT */
/* html.c - fills the page template. Our own assets are linked in with .incbin (paths are
 * relative to the repository top, where make runs the compiler), so an installed leak-view
 * needs no data files of its own; only the third-party charting library is read at run
 * time, from the Debian package's location. Everything inlined into <script>/<style> is
 * escaped so that no "</script" can end the element early: JSON by writing '<' as \u003c
 * (valid only because '<' appears in JSON strings alone), code by put_raw_escaped(). */
#include "html.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* clang-format off */
/* sym: the file's bytes; sym_size: their count (computed by the assembler, so C never
 * subtracts pointers to different objects). */
#define ASSET(sym, file)                                                                         \
	__asm__(".section .rodata\n"                                                             \
	        ".balign 16\n"                                                                   \
	        ".local " #sym "\n" #sym ":\n"                                                   \
	        ".incbin \"" file "\"\n"                                                         \
	        "1:\n"                                                                           \
	        ".byte 0\n"                                                                      \
	        ".balign 8\n"                                                                    \
	        ".local " #sym "_size\n" #sym "_size:\n"                                         \
	        ".quad 1b - " #sym "\n"                                                          \
	        ".previous\n");                                                                  \
	extern const char sym[];                                                                 \
	extern const uint64_t sym##_size
/* clang-format on */

ASSET(asset_html, "viewer/assets/report.html");
ASSET(asset_js, "viewer/assets/report.js");
ASSET(asset_css, "viewer/assets/report.css");

const char *html_js_dir(void)
{
	const char *d = getenv("LEAK_VIEW_JS_DIR");
	return d && *d ? d : HTML_DYGRAPHS_DIR;
}

/* Reads dir/name into a malloc'd NUL-terminated buffer. */
static char *read_file(const char *name, size_t *len, struct err *e)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", html_js_dir(), name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		err_set(e,
		        "%s: %s (install the Debian package libjs-dygraphs, or set "
		        "LEAK_VIEW_JS_DIR to a directory holding %s)",
		        path, strerror(errno), name);
		return NULL;
	}
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 262144;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				err_set(e, "out of memory");
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, 65536, f);
		n += r;
		if (r < 65536)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		err_set(e, "%s: read error", path);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int html_check_assets(struct err *e)
{
	size_t n;
	char *js = read_file("dygraph.min.js", &n, e);
	free(js);
	return js ? 0 : -1;
}

/* Script or style text: "</script", "</style" and "<!--" are the only sequences that could end
 * or confuse the element, and appear in real code only inside strings, where "<\/" and
 * "<\!--" mean the same. Any other "</" (a regex like /</g) is left alone. */
static void put_raw_escaped(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputc(s[i], f);
		if (s[i] != '<' || i + 1 >= n)
			continue;
		if (s[i + 1] == '/' &&
		    ((n - i - 2 >= 6 && strncasecmp(s + i + 2, "script", 6) == 0) ||
		     (n - i - 2 >= 5 && strncasecmp(s + i + 2, "style", 5) == 0)))
			fputc('\\', f);
		else if (n - i - 1 >= 3 && strncmp(s + i + 1, "!--", 3) == 0)
			fputc('\\', f);
	}
}

static void put_json(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '<')
			fputs("\\u003c", f);
		else
			fputc(s[i], f);
	}
}

static void put_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

int html_write(FILE *f, const struct html_input *in, struct err *e)
{
	size_t js_len = 0, css_len = 0;
	char *dy_js = read_file("dygraph.min.js", &js_len, e);
	if (!dy_js)
		return -1;
	char *dy_css = read_file("dygraph.min.css", &css_len, e);
	if (!dy_css) {
		free(dy_js);
		return -1;
	}
	const char *t = asset_html, *end = asset_html + asset_html_size;
	while (t < end) {
		const char *m = memmem(t, (size_t)(end - t), "@@", 2);
		if (!m) {
			fwrite(t, 1, (size_t)(end - t), f);
			break;
		}
		fwrite(t, 1, (size_t)(m - t), f);
		const char *close = memmem(m + 2, (size_t)(end - m - 2), "@@", 2);
		if (!close) {
			fwrite(m, 1, (size_t)(end - m), f);
			break;
		}
		size_t klen = (size_t)(close - m - 2);
		const char *k = m + 2;
#define IS(name) (klen == strlen(name) && strncmp(k, name, klen) == 0)
		if (IS("TITLE"))
			put_text(f, in->title);
		else if (IS("CSS"))
			put_raw_escaped(f, asset_css, (size_t)asset_css_size);
		else if (IS("JS"))
			put_raw_escaped(f, asset_js, (size_t)asset_js_size);
		else if (IS("DYGRAPH_JS"))
			put_raw_escaped(f, dy_js, js_len);
		else if (IS("DYGRAPH_CSS"))
			put_raw_escaped(f, dy_css, css_len);
		else if (IS("REPORT"))
			put_json(f, in->report_json, in->report_len);
		else if (IS("SERIES"))
			put_json(f, in->series_json, in->series_len);
		else
			fwrite(m, 1, (size_t)(close + 2 - m), f);
#undef IS
		t = close + 2;
	}
	free(dy_js);
	free(dy_css);
	if (fflush(f) != 0 || ferror(f))
		return err_set(e, "write failed: %s", strerror(errno ? errno : EIO));
	return 0;
}
