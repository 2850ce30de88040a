# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# libreoffice.sh - LibreOffice Writer headless converting an HTML document to plain text
# (soffice's launcher script, oosplash, soffice.bin with its threads). The package is large:
# it gets 120 s to install (tests/real/run.sh), else the program is skipped, saying so.
pkgs_libreoffice() { echo libreoffice-writer-nogui; }
limit_libreoffice() { echo 120; }
case_libreoffice() {
	cat >doc.html <<'HTML'
<html><body><h1>Leak report</h1><p>Six times seven is 42.</p>
<ul><li>one</li><li>two</li><li>three</li></ul></body></html>
HTML
	mkdir -p home out
	HOME=$PWD/home lkr_under soffice --headless --norestore --nolockcheck \
		-env:UserInstallation="file://$PWD/home/lo" --convert-to txt:Text --outdir out doc.html \
		>convert.log 2>&1
	cat out/doc.txt
}
# check_libreoffice: the conversion happened (an empty output would match an empty one).
check_libreoffice() {
	grep -q 'Six times seven is 42' "$LKR_LEAK/stdout" ||
		fail "libreoffice: the text conversion is missing from stdout"
}
