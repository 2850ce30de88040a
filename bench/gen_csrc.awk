# SPDX-License-Identifier: MIT
# gen_csrc.awk - writes a mid-size C translation unit for the cc1 benchmark workload: common
# system headers (so the parser has real declarations to chew), then N generated modules, each
# with a struct, a hash table, a state machine in a switch, string formatting and loops the
# optimizer can vectorize and unroll. Usage: awk -v n=40 -f gen_csrc.awk > unit.c
BEGIN {
	if (n == "")
		n = 40
	print "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <stdint.h>"
	print "#include <math.h>\n#include <pthread.h>\n#include <unistd.h>\n#include <sys/socket.h>"
	print "#include <netinet/in.h>\n#include <signal.h>\n#include <time.h>\n#include <ctype.h>\n"
	for (m = 0; m < n; m++) {
		printf "struct rec%d { uint64_t key; double w[%d]; char name[32]; struct rec%d *next; };\n", m, 4 + m % 5, m
		printf "static struct rec%d *tab%d[256];\n", m, m
		printf "static inline uint32_t hash%d(uint64_t k) { k ^= k >> 33; k *= 0xff51afd7ed558ccdULL; k ^= k >> 29; return (uint32_t)(k %% 256); }\n", m
		printf "struct rec%d *put%d(uint64_t key, const char *name) {\n", m, m
		printf "\tuint32_t h = hash%d(key);\n\tfor (struct rec%d *r = tab%d[h]; r; r = r->next)\n", m, m, m
		printf "\t\tif (r->key == key) return r;\n\tstruct rec%d *r = calloc(1, sizeof *r);\n", m
		printf "\tif (!r) return NULL;\n\tr->key = key;\n\tsnprintf(r->name, sizeof r->name, \"%%s-%%llu\", name, (unsigned long long)key);\n"
		printf "\tr->next = tab%d[h];\n\ttab%d[h] = r;\n\treturn r;\n}\n", m, m
		printf "double score%d(const double *v, size_t n, double scale) {\n\tdouble s = 0, q = 0;\n", m
		printf "\tfor (size_t i = 0; i < n; i++) { s += v[i] * scale; q += v[i] * v[i] + %d.5; }\n", m
		printf "\tfor (size_t i = 1; i + 1 < n; i++) s += fabs(v[i-1] - 2 * v[i] + v[i+1]) / (q + 1);\n"
		printf "\treturn sqrt(q) + s;\n}\n"
		printf "int step%d(int state, int c, char *out, size_t cap) {\n\tswitch (state) {\n", m
		for (s = 0; s < 12; s++)
			printf "\tcase %d: if (isdigit(c)) return %d; if (c == '%c') { snprintf(out, cap, \"s%d:%%d\", c); return %d; } return %d;\n", s, (s + 1) % 12, 97 + s, s, (s + 3) % 12, (s * 5 + m) % 12
		printf "\tdefault: return 0;\n\t}\n}\n"
		printf "uint64_t walk%d(const char *text, char *buf, size_t cap) {\n\tint st = 0; uint64_t acc = %d;\n", m, m
		printf "\tfor (const char *p = text; *p; p++) { st = step%d(st, (unsigned char)*p, buf, cap); acc = acc * 31 + (uint64_t)st; struct rec%d *r = put%d(acc %% 1024, buf); if (r) r->w[0] += score%d(r->w, sizeof r->w / sizeof r->w[0], 0.5); }\n", m, m, m, m
		printf "\treturn acc;\n}\n"
		printf "void sortrec%d(struct rec%d **a, size_t n) {\n\tfor (size_t i = 1; i < n; i++) { struct rec%d *x = a[i]; size_t j = i;\n", m, m, m
		printf "\t\twhile (j > 0 && (a[j-1]->key > x->key || (a[j-1]->key == x->key && strcmp(a[j-1]->name, x->name) > 0))) { a[j] = a[j-1]; j--; }\n\t\ta[j] = x; }\n}\n\n"
	}
	print "int main(int argc, char **argv) {\n\tchar buf[64] = \"\";\n\tuint64_t acc = 0;\n\tconst char *t = argc > 1 ? argv[1] : \"abc123def\";"
	for (m = 0; m < n; m++)
		printf "\tacc += walk%d(t, buf, sizeof buf);\n", m
	print "\tprintf(\"%llu %s\\n\", (unsigned long long)acc, buf);\n\treturn 0;\n}"
}
