/* SPDX-License-Identifier: MIT */
/* html.h - assembles leak-view's one self-contained page: the template, stylesheet and script
 * in viewer/assets/ (built into the binary), the dygraphs library read from its installed
 * location at run time (never committed here), and the two JSON documents the script draws
 * from (the report, the series), all inlined so the file opens from disk without network. */
#ifndef LEAK_VIEWER_HTML_H
#define LEAK_VIEWER_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* Where the dygraphs files are looked for unless LEAK_VIEW_JS_DIR names another directory
 * (Debian package libjs-dygraphs). */
#define HTML_DYGRAPHS_DIR "/usr/share/javascript/dygraphs"

struct html_input {
	const char *title;
	const char *report_json; /* leak-report --json output */
	size_t report_len;
	const char *series_json; /* series_write() output */
	size_t series_len;
};

/* The dygraphs directory in use (LEAK_VIEW_JS_DIR or the default). */
const char *html_js_dir(void);
/* Checks that the dygraphs files can be read; -1 with e naming the file and the package. */
int html_check_assets(struct err *e);
/* Writes the page to f. Returns 0, or -1 with e filled (missing asset, write error). */
int html_write(FILE *f, const struct html_input *in, struct err *e);

#endif
