# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# make.sh - make -j2 on a generated tree of 12 C files plus a generated header: parallel
# recipes, each a shell that runs cc (the whole chain under the preload). The result runs
# natively; make itself prints nothing that depends on scheduling.
pkgs_make() { echo make gcc; }
limit_make() { echo 120; }
case_make() {
	mkdir -p tree/src
	cd tree || return 1
	for i in $(seq 1 12); do
		printf '#include "gen.h"\nint part%d(void) { return GEN_BASE + %d; }\n' "$i" "$i" >"src/part$i.c"
	done
	{
		printf '#include <stdio.h>\n'
		for i in $(seq 1 12); do printf 'int part%d(void);\n' "$i"; done
		printf 'int main(void) { int s = 0;\n'
		for i in $(seq 1 12); do printf 's += part%d();\n' "$i"; done
		printf 'printf("sum %%d\\n", s); return 0; }\n'
	} >src/main.c
	cat >Makefile <<'MK'
SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:src/%.c=obj/%.o)
all: app
gen.h:
	@echo '#define GEN_BASE 1000' > $@.tmp && mv $@.tmp $@
obj/%.o: src/%.c gen.h | obj
	@$(CC) -O1 -I. -c $< -o $@
obj:
	@mkdir -p $@
app: $(OBJS)
	@$(CC) -o $@ $(OBJS)
clean:
	@rm -rf obj app gen.h
.PHONY: all clean
MK
	lkr_under make -j2 -s
	./app
	lkr_under make -s clean
	lkr_under make -j2 -s app
	./app
	find obj -name "*.o" | wc -l
}
