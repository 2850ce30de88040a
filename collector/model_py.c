/* SPDX-License-Identifier: MIT */
/* model_py.c - the Python code objects of a process (PY_CODE records, docs/FORMAT.md) and the
 * line of a Python frame: its instruction offset looked up in the code object's location
 * table (CPython 3.11's format, unchanged in 3.12 and 3.13, Objects/locations.md: entries of one
 * start byte 1CCCCLLL - code C, length L+1 code units - and varint operands). */
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "model.h"
#include "trace_format.h"

static char *dup_bytes(struct trace_str s)
{
	char *d = malloc(s.len + 1);
	if (d) {
		if (s.len)
			memcpy(d, s.p, s.len);
		d[s.len] = 0;
	}
	return d;
}

int model_py_apply(struct model_proc *p, const struct trace_record *r)
{
	const struct trace_rec_py_code *c = &r->u.py_code;
	uint32_t idx;
	if (hashmap_get(&p->pycode_index, c->id, &idx))
		return 0; /* the same code again (a writer may repeat it): keep the first */
	if (array_grow((void **)&p->pycodes, &p->cap_pycodes, (size_t)p->n_pycodes + 1,
	               sizeof(*p->pycodes)) != 0)
		return -1;
	struct model_pycode *m = &p->pycodes[p->n_pycodes];
	memset(m, 0, sizeof(*m));
	m->id = (uint32_t)c->id;
	m->py_version = (uint32_t)(c->py_version & 0xffffffffu);
	m->firstlineno = c->firstlineno > 0x7fffffff ? 0 : (int)c->firstlineno;
	m->qualname = dup_bytes(c->qualname);
	m->filename = dup_bytes(c->filename);
	m->linetable = malloc(c->linetable.len ? c->linetable.len : 1);
	if (!m->qualname || !m->filename || !m->linetable) {
		free(m->qualname);
		free(m->filename);
		free(m->linetable);
		return -1;
	}
	if (c->linetable.len)
		memcpy(m->linetable, c->linetable.p, c->linetable.len);
	m->linetable_len = c->linetable.len;
	if (hashmap_put(&p->pycode_index, m->id, p->n_pycodes) != 0)
		return -1;
	p->n_pycodes++;
	return 0;
}

void model_py_free(struct model_proc *p)
{
	for (uint32_t i = 0; i < p->n_pycodes; i++) {
		free(p->pycodes[i].qualname);
		free(p->pycodes[i].filename);
		free(p->pycodes[i].linetable);
	}
	free(p->pycodes);
	hashmap_fini(&p->pycode_index);
}

const struct model_pycode *model_proc_pycode(const struct model_proc *p, uint32_t id)
{
	uint32_t idx;
	return hashmap_get(&p->pycode_index, id, &idx) ? &p->pycodes[idx] : NULL;
}

/* Location table varints: 6 bits a byte, low first, 0x40 = more. */
static uint32_t lt_varint(const uint8_t *t, size_t n, size_t *i)
{
	uint32_t v = 0;
	unsigned shift = 0;
	while (*i < n && shift < 32) {
		uint8_t b = t[(*i)++];
		v |= (uint32_t)(b & 0x3f) << shift;
		shift += 6;
		if (!(b & 0x40))
			break;
	}
	return v;
}

static int32_t lt_svarint(const uint8_t *t, size_t n, size_t *i)
{
	uint32_t u = lt_varint(t, n, i);
	return u & 1 ? -(int32_t)(u >> 1) : (int32_t)(u >> 1);
}

int model_py_line(const struct model_pycode *c, uint32_t instr)
{
	if (instr == TRACE_FRAME_PY_NO_INSTR || c->py_version < 0x030b || c->py_version > 0x030d)
		return c->firstlineno;
	const uint8_t *t = c->linetable;
	size_t n = c->linetable_len, i = 0;
	int line = c->firstlineno;
	uint64_t addr = 0;
	while (i < n) {
		uint8_t first = t[i++];
		if (!(first & 0x80))
			return 0; /* not at an entry's start: a damaged table */
		unsigned code = first >> 3 & 15, len = (first & 7) + 1;
		bool none = false;
		if (code == 15) {
			none = true;
		} else if (code == 14) { /* long form */
			line += lt_svarint(t, n, &i);
			lt_varint(t, n, &i);
			lt_varint(t, n, &i);
			lt_varint(t, n, &i);
		} else if (code == 13) { /* no columns */
			line += lt_svarint(t, n, &i);
		} else if (code >= 10) { /* one line: delta code-10, two column bytes */
			line += (int)code - 10;
			i += 2;
		} else { /* short form: same line, one column byte */
			i += 1;
		}
		if (instr >= addr && instr < addr + len)
			return none || line < 0 ? 0 : line;
		addr += len;
	}
	return 0;
}
