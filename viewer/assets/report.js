// SPDX-License-Identifier: MIT
/* report.js - draws leak-view's page from two inlined JSON documents: #report-data (exactly
 * `leak-report --json`, capped to --top findings per process) and #series-data (series.c:
 * timelines, top growing stacks, flame-graph stacks). Timelines use dygraphs (inlined by
 * leak-view from the Debian package); the flame graphs are drawn here as SVG icicles, as
 * no packaged library fits. Drawing is capped (tiny frames are skipped) so large traces stay
 * quick. When everything is drawn, <body data-ready="1"> is set for tests; an exception sets
 * data-error instead. */
'use strict';

(function () {
	const SVGNS = 'http://www.w3.org/2000/svg';
	const MAX_RECTS = 6000;

	function el(tag, attrs, children) {
		const e = document.createElement(tag);
		if (attrs) {
			for (const k of Object.keys(attrs)) {
				if (k === 'text') e.textContent = attrs[k];
				else if (k === 'cls') e.className = attrs[k];
				else e.setAttribute(k, attrs[k]);
			}
		}
		for (const c of children || []) {
			if (c !== null && c !== undefined) e.append(c);
		}
		return e;
	}

	function fmtBytes(b) {
		if (b === null || b === undefined || isNaN(b)) return '';
		const neg = b < 0;
		let v = Math.abs(b);
		const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
		let u = 0;
		while (v >= 1024 && u < units.length - 1) {
			v /= 1024;
			u++;
		}
		const s = u === 0 ? String(Math.round(v)) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0);
		return (neg ? '-' : '') + s + ' ' + units[u];
	}

	function fmtCount(n) {
		return Number(n).toLocaleString('en-US');
	}

	function fmtSecs(s) {
		if (s < 1) return (s * 1000).toFixed(0) + ' ms';
		if (s < 120) return s.toFixed(s < 10 ? 2 : 1) + ' s';
		if (s < 7200) return (s / 60).toFixed(1) + ' min';
		return (s / 3600).toFixed(2) + ' h';
	}

	function baseName(p) {
		if (!p) return '?';
		const i = p.lastIndexOf('/');
		return i >= 0 ? p.slice(i + 1) : p;
	}

	/* C++ names as leak-report's text shows them (collector/frame_name.c): template
	 * arguments elided to <...>, the return type dropped; the full name stays on hover. */
	function shortName(name) {
		if (!name || name.indexOf('<') < 0 && name.indexOf(' ') < 0) return name;
		let out = '';
		for (let i = 0; i < name.length;) {
			if (/(^|[^\w])operator$/.test(out)) {
				const m = /^(\(\)|\[\]|<<=|>>=|<=>|->\*|<<|>>|<=|>=|==|!=|&&|\|\||\+\+|--|->|[-+*\/%^&|]=|[<>+\-*\/%^&|~!=,])/.exec(name.slice(i));
				if (m) { out += m[0]; i += m[0].length; continue; }
			}
			if (name[i] === '<') {
				let d = 0, j = i;
				for (; j < name.length; j++) {
					if (name[j] === '<') d++;
					else if (name[j] === '>' && --d === 0) break;
				}
				if (j >= name.length) { out += name[i++]; continue; }
				out += '<...>';
				i = j + 1;
				continue;
			}
			if (name.startsWith('std::__cxx11::', i)) { out += 'std::'; i += 14; continue; }
			out += name[i++];
		}
		let d = 0, cut = -1;
		for (let i = 0; i < out.length; i++) {
			const c = out[i];
			if (d === 0 && c === '(' && out.startsWith('(anonymous namespace)', i)) { i += 20; continue; }
			if (d === 0 && c === '(' && !/(^|[^\w])operator$/.test(out.slice(0, i))) break;
			if ('([{'.indexOf(c) >= 0) d++;
			else if (')]}'.indexOf(c) >= 0 && d > 0) d--;
			else if (d === 0 && c === ' ' && out[i + 1] !== '<' && !/(^|[^\w])operator$/.test(out.slice(0, i))) cut = i + 1;
		}
		return cut > 0 ? out.slice(cut) : out;
	}

	function frameName(f) {
		if (f.function) return f.short || shortName(f.function);
		if (f.module) return baseName(f.module) + '+' + f.offset;
		return f.addr;
	}

	const RUNTIME = /^(libc\.so|libc-|libstdc\+\+|libc\+\+|ld-linux|libgcc_s|libm\.so)/;

	function isLibrary(f) {
		if (typeof f.library === 'boolean') return f.library;
		return RUNTIME.test(baseName(f.module || ''));
	}

	/* First frame of the user's code (the allocator and standard-library frames above it say
	 * nothing about who leaks), and its caller with the line of the call, which tells apart
	 * the stacks of a shared helper (series.c labels the growing stacks the same way). */
	function topFrame(stack) {
		if (!stack || !stack.length) return '[no stack]';
		/* A Python stack: its innermost Python frame and the Python frame that called it (the
		 * interpreter's own frames say nothing about whose code it is; series.c does the same). */
		const py = stack.filter(function (f) { return f.lang === 'python' && f.function; });
		if (py.length) {
			const n = py[0].function + ' ' + (py[0].file || '?') + (py[0].line ? ':' + py[0].line : '');
			return py.length > 1 ? n + ' \u2190 ' + py[1].function + ':' + py[1].line : n;
		}
		let i = stack.findIndex(function (f) { return !isLibrary(f); });
		if (i < 0) i = 0;
		const name = frameName(stack[i]);
		const c = stack[i + 1];
		if (!c) return name;
		return name + ' \u2190 ' + frameName(c) + (c.line ? ':' + c.line : '');
	}

	function frameWhere(f) {
		if (f.file) return f.file + (f.line ? ':' + f.line : '');
		return '';
	}

	/* ---- process header and tree ---------------------------------------------------- */

	/* " (SIGABRT)" for the common signals, as leak-report writes it; "" for the rest. */
	const SIGNALS = {1: 'HUP', 2: 'INT', 3: 'QUIT', 4: 'ILL', 5: 'TRAP', 6: 'ABRT', 7: 'BUS', 8: 'FPE',
		9: 'KILL', 10: 'USR1', 11: 'SEGV', 12: 'USR2', 13: 'PIPE', 14: 'ALRM', 15: 'TERM'};
	function signalName(n) {
		return SIGNALS[n] ? ' (SIG' + SIGNALS[n] + ')' : '';
	}

	function endText(p) {
		if (p.end_reason === 'exit') return 'exit ' + p.exit_status;
		if (p.end_reason === 'signal') return 'killed by signal ' + p.signal + signalName(p.signal);
		if (p.end_reason === 'exec') return 'exec ' + (p.exec || '');
		return 'no END record (cut short)';
	}

	function heapLeaked(p) {
		let b = 0;
		for (const f of p.findings) if (f.kind === 'leak' || f.kind === 'indirect') b += f.bytes;
		return b;
	}

	function drawHeader(p, s) {
		const facts = [
			['executable', p.exe || '(no PROCESS record)'],
			['argv', (p.argv || []).join(' ')],
			['pid / ppid', p.pid + ' / ' + p.ppid],
			['duration', fmtSecs(p.duration)],
			['started', p.start ? new Date(p.start * 1000).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : 'unknown'],
			['snapshots', fmtCount(p.snapshots)],
			['end', endText(p)],
			['peak live heap', fmtBytes(p.peak_live_bytes)],
			['allocations', fmtCount(p.total_allocs) + ' (' + fmtBytes(p.total_alloc_bytes) + ')'],
			['findings', fmtCount(p.findings_total)],
			['heap source', p.heap_source === 'final_snapshot' ? 'final snapshot (exit)' : 'last snapshot (no final one)'],
			['trace', p.trace],
		];
		if (p.sample_bytes) facts.push(['sampling', 'mean ' + fmtBytes(p.sample_bytes) + ' (values are estimates)']);
		const dl = el('dl', {cls: 'facts'});
		for (const [k, v] of facts) dl.append(el('div', null, [el('dt', {text: k}), el('dd', {text: v})]));
		const card = el('div', {cls: 'card header'}, [dl]);
		const warns = [];
		if (p.truncated) warns.push('Trace truncated: ' + (p.truncation || 'cut short') + '.');
		if (p.cut_short) warns.push('The process did not finish normally (no END record): heap values are from the last snapshot.');
		if (p.dropped_events) warns.push(fmtCount(p.dropped_events) + ' events were dropped (full rings): counts are approximate.');
		for (const w of warns) card.append(el('p', {cls: 'warn', text: w}));
		if (s && s.t.length < s.snapshots)
			card.append(el('p', {cls: 'note', text: 'Timelines: ' + fmtCount(s.snapshots) + ' snapshots drawn as ' + fmtCount(s.t.length) + ' points (the last snapshot of each bucket).'}));
		return card;
	}

	function drawTree(procs) {
		const nav = document.getElementById('tree');
		const root = el('ul');
		const stack = [root];
		procs.forEach(function (p, i) {
			const d = p.depth || 0;
			while (stack.length - 1 > d) stack.pop();
			while (stack.length - 1 < d) {
				const parent = stack[stack.length - 1];
				let last = parent.lastElementChild;
				if (!last) {
					last = el('li');
					parent.append(last);
				}
				const ul = el('ul');
				last.append(ul);
				stack.push(ul);
			}
			const a = el('a', {href: '#proc-' + i, text: (p.exe ? baseName(p.exe) : '(process)') + ' [' + p.pid + ']'});
			const li = el('li', null, [a, ' ', el('span', {cls: 'note', text: fmtCount(p.findings_total) + ' findings, ' + fmtBytes(heapLeaked(p)) + ' leaked, ' + endText(p)})]);
			stack[stack.length - 1].append(li);
		});
		/* Filter: processes whose name, pid or command line match stay, with their ancestors
		 * in the tree; the sections of the others are hidden. */
		const filter = el('input', {type: 'search', cls: 'proc-filter', placeholder: 'Filter processes (name, pid, argument)…', 'aria-label': 'filter processes'});
		const shown = el('span', {cls: 'info'});
		filter.addEventListener('input', function () {
			const q = filter.value.trim().toLowerCase();
			let n = 0;
			procs.forEach(function (p, i) {
				const text = [p.exe || '', String(p.pid)].concat(p.argv || []).join(' ').toLowerCase();
				const hit = !q || text.indexOf(q) >= 0;
				const sec = document.getElementById('proc-' + i);
				if (sec) sec.hidden = !hit;
				const li = root.querySelector('a[href="#proc-' + i + '"]').parentElement;
				li.classList.toggle('filtered', !hit);
				n += hit;
			});
			shown.textContent = q ? n + ' of ' + procs.length + ' processes' : '';
		});
		nav.append(el('div', {cls: 'card'}, [el('h3', {text: 'Process tree'}), el('div', {cls: 'toolbar'}, [filter, shown]), root]));
		nav.hidden = false;
	}

	/* ---- timelines (dygraphs) --------------------------------------------------------- */

	function chartCard(key, title, note) {
		const legend = el('div', {cls: 'legend'});
		const chart = el('div', {cls: 'chart'});
		const card = el('div', {cls: 'card timeline', 'data-chart': key}, [el('h3', {text: title}), chart, legend]);
		if (note) card.append(el('p', {cls: 'note', text: note}));
		return {card: card, chart: chart, legend: legend};
	}

	const pendingCharts = [];

	function hasData(t, columns) {
		return t.length > 0 && columns.some(function (col) { return col.some(function (v) { return v !== 0; }); });
	}

	function lineChart(container, key, title, t, names, columns, bytes, note, extra) {
		const c = chartCard(key, title, note);
		container.append(c.card);
		if (!hasData(t, columns)) {
			c.chart.replaceWith(el('div', {cls: 'empty', text: 'nothing recorded'}));
			return;
		}
		const data = t.map(function (x, i) {
			const row = [x];
			for (const col of columns) row.push(col[i]);
			return row;
		});
		const fmt = bytes ? fmtBytes : fmtCount;
		pendingCharts.push(function () {
			new Dygraph(c.chart, data, Object.assign({
				labels: ['time (s)'].concat(names),
				labelsDiv: c.legend,
				legend: 'always',
				labelsSeparateLines: false,
				stepPlot: !bytes,
				strokeWidth: 1.6,
				drawPoints: t.length < 60,
				highlightCircleSize: 3,
				axes: {
					x: {valueFormatter: function (v) { return 't = ' + fmtSecs(v); },
						axisLabelFormatter: function (v) { return fmtSecs(v); }, pixelsPerLabel: 90},
					y: {valueFormatter: function (v) { return fmt(v); },
						axisLabelFormatter: function (v) { return fmt(v); },
						axisLabelWidth: 70, includeZero: true},
				},
				/* From the process's start (t = 0), not from its first snapshot. */
				dateWindow: [0, Math.max(t[t.length - 1], 1e-3)],
				colors: ['#2457c5', '#e07a10', '#2f9e44', '#c62f2f', '#7048e8', '#0b7285', '#a61e4d', '#5c940d', '#868e96', '#d9480f', '#364fc7'],
			}, extra || {}));
		});
	}

	function uniqueLabels(labels) {
		const seen = {};
		return labels.map(function (l) {
			seen[l] = (seen[l] || 0) + 1;
			return seen[l] > 1 ? l + ' (' + seen[l] + ')' : l;
		});
	}

	/* Heap and RSS always; descriptors, threads, children and growing stacks when the trace
	 * has any (one line says which had none, instead of empty charts). */
	function drawTimelines(section, s) {
		const wrap = el('div', {cls: 'charts'});
		section.append(wrap);
		const xAxis = {valueFormatter: function (v) { return 't = ' + fmtSecs(v); }, axisLabelFormatter: function (v) { return fmtSecs(v); }, pixelsPerLabel: 90};
		lineChart(wrap, 'heap', 'Live heap (left axis) and RSS (right axis)', s.t, ['live heap', 'RSS'], [s.live, s.rss], true, null, {
			series: {RSS: {axis: 'y2'}},
			axes: {
				x: xAxis,
				y: {valueFormatter: fmtBytes, axisLabelFormatter: fmtBytes, axisLabelWidth: 70, includeZero: true},
				y2: {valueFormatter: fmtBytes, axisLabelFormatter: fmtBytes, axisLabelWidth: 70, includeZero: true, independentTicks: true, drawGrid: false},
			},
		});
		const none = [];
		const g = s.growing || [];
		if (g.length)
			lineChart(wrap, 'growing', 'Top growing stacks (live bytes)', s.t, uniqueLabels(g.map(function (x) { return x.label; })),
				g.map(function (x) { return x.v; }), true,
				'The ' + g.length + ' stacks whose live bytes grew most over the window' + (s.window ? ' (' + fmtSecs(s.window[0]) + '–' + fmtSecs(s.window[1]) + ')' : '') + ', labelled by their top frame outside the C runtime and its caller.');
		else none.push('no stack grew over the window');
		const types = Object.keys(s.fds);
		const fdCols = types.map(function (k) { return s.fds[k]; });
		if (hasData(s.t, fdCols)) lineChart(wrap, 'fds', 'Open descriptors by type', s.t, types, fdCols, false);
		else none.push('no descriptor open at any snapshot');
		if (hasData(s.t, [s.threads_created]))
			lineChart(wrap, 'threads', 'Threads', s.t, ['created so far', 'of those, not joined or detached at the end'],
				[s.threads_created, s.threads_unjoined], false, 'The trace records when each thread started and its last state.');
		else none.push('no thread created');
		if (hasData(s.t, [s.children_spawned]))
			lineChart(wrap, 'children', 'Child processes', s.t, ['spawned so far', 'of those, unreaped at the end'],
				[s.children_spawned, s.children_unreaped], false, 'The trace records when each child started and its last state.');
		else none.push('no child process');
		if (none.length) section.append(el('p', {cls: 'note none', text: 'Not charted: ' + none.join('; ') + '.'}));
	}

	/* ---- flame graphs (own SVG icicle) ---------------------------------------------- */

	/* inverted: bottom-up, the innermost frame (where the memory was allocated) at the top. */
	function buildTree(flame, names, inverted) {
		const root = {name: 'all', value: 0, children: new Map(), parent: null};
		flame.stacks.forEach(function (st, i) {
			const v = flame.values[i];
			root.value += v;
			let n = root;
			for (const id of inverted ? st.slice().reverse() : st) {
				const name = names[id];
				let c = n.children.get(name);
				if (!c) {
					c = {name: name, value: 0, children: new Map(), parent: n};
					n.children.set(name, c);
				}
				c.value += v;
				n = c;
			}
		});
		if (flame.cut_stacks) {
			const name = '[' + fmtCount(flame.cut_stacks) + ' smaller stacks merged]';
			root.children.set(name, {name: name, value: flame.cut_value, children: new Map(), parent: root});
			root.value += flame.cut_value;
		}
		return root;
	}

	function hue(name) {
		let h = 0;
		for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
		return h;
	}

	function color(name) {
		const h = hue(name);
		if (name.charAt(0) === '[') return '#c9ced6';
		return 'hsl(' + (10 + (h % 40)) + ',' + (70 + (h >> 8) % 20) + '%,' + (58 + (h >> 16) % 14) + '%)';
	}

	function flameGraph(card, title, flame, names, unitBytes, search) {
		const fmt = unitBytes ? fmtBytes : fmtCount;
		const info = el('span', {cls: 'info'});
		const reset = el('button', {type: 'button', text: 'Reset zoom'});
		const invert = el('button', {type: 'button', cls: 'invert', text: 'Bottom-up', title: 'inverted flame graph: the allocating frames at the top, their callers below'});
		const hover = el('div', {cls: 'hover', text: 'Hover a frame for its value; click to zoom.'});
		const box = el('div', {cls: 'flame'});
		card.append(el('h3', null, [title, el('small', {text: 'total ' + fmt(flame.total)})]), el('div', {cls: 'toolbar'}, [reset, invert, info]), box, hover);
		if (!flame.total) {
			box.append(el('div', {cls: 'empty', text: 'nothing to draw'}));
			return {highlight: function () {}};
		}
		if (flame.cut_stacks)
			card.append(el('p', {cls: 'note', text: 'Drawn: the ' + fmtCount(flame.stacks.length) + ' largest stacks; ' + fmtCount(flame.cut_stacks) + ' smaller ones (' + fmt(flame.cut_value) + ') are merged into one frame.'}));
		let inverted = false;
		let root = buildTree(flame, names, inverted);
		let zoom = root;
		let term = '';
		const ROW = 18;

		function draw() {
			const W = box.clientWidth || 1000;
			const rows = [];
			let drawn = 0;
			let skipped = 0;
			let depth = 0;
			/* Ancestors of the zoomed frame span the full width, dimmed. */
			const chain = [];
			for (let n = zoom; n; n = n.parent) chain.unshift(n);
			for (const n of chain) {
				rows.push({n: n, x: 0, w: W, d: depth++, anc: n !== zoom});
			}
			const base = depth - 1;
			const queue = [{n: zoom, x: 0, w: W, d: base}];
			while (queue.length) {
				const q = queue.shift();
				let x = q.x;
				const kids = Array.from(q.n.children.values()).sort(function (a, b) { return b.value - a.value; });
				for (const c of kids) {
					const w = q.w * c.value / q.n.value;
					if (w < 0.8 || drawn >= MAX_RECTS) {
						skipped++;
						continue;
					}
					rows.push({n: c, x: x, w: w, d: q.d + 1, anc: false});
					queue.push({n: c, x: x, w: w, d: q.d + 1});
					drawn++;
					x += w;
				}
			}
			let maxd = 0;
			for (const r of rows) maxd = Math.max(maxd, r.d);
			const H = (maxd + 1) * ROW;
			const svg = document.createElementNS(SVGNS, 'svg');
			svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
			svg.setAttribute('height', H);
			const re = term.toLowerCase();
			let matched = 0;
			const counted = new Set();
			for (const r of rows) {
				const g = document.createElementNS(SVGNS, 'g');
				const rect = document.createElementNS(SVGNS, 'rect');
				rect.setAttribute('x', r.x.toFixed(2));
				rect.setAttribute('y', r.d * ROW);
				rect.setAttribute('width', Math.max(r.w, 0.5).toFixed(2));
				rect.setAttribute('height', ROW - 1);
				rect.setAttribute('fill', color(r.n.name));
				rect.setAttribute('class', 'fr' + (r.anc ? ' ancestor' : ''));
				if (re && r.n.name.toLowerCase().indexOf(re) >= 0) {
					rect.classList.add('match');
					/* Count a match once, not again under a matching ancestor. */
					let inner = false;
					for (let p = r.n.parent; p; p = p.parent) if (counted.has(p)) inner = true;
					if (!inner && !r.anc) {
						matched += r.n.value;
						counted.add(r.n);
					}
				}
				const pct = (100 * r.n.value / root.value).toFixed(2);
				const label = r.n.name + ' — ' + fmt(r.n.value) + ' (' + pct + '%)';
				const shown = shortName(r.n.name);
				const t = document.createElementNS(SVGNS, 'title');
				t.textContent = label;
				rect.append(t);
				rect.addEventListener('mouseenter', function () { hover.textContent = label; });
				rect.addEventListener('click', function () {
					zoom = r.n;
					draw();
				});
				g.append(rect);
				if (r.w > 40) {
					const tx = document.createElementNS(SVGNS, 'text');
					tx.setAttribute('x', (r.x + 3).toFixed(2));
					tx.setAttribute('y', r.d * ROW + 12.5);
					const chars = Math.floor((r.w - 6) / 6.7);
					tx.textContent = shown.length > chars ? shown.slice(0, Math.max(chars - 1, 1)) + '…' : shown;
					g.append(tx);
				}
				svg.append(g);
			}
			box.replaceChildren(svg);
			let text = zoom === root ? '' : 'zoomed to ' + zoom.name + '. ';
			if (skipped) text += fmtCount(skipped) + ' frames too narrow to draw. ';
			if (re) text += 'Search "' + term + '": ' + (matched ? fmt(matched) + ' (' + (100 * matched / root.value).toFixed(1) + '%)' : 'no match') + '.';
			info.textContent = text;
		}
		reset.addEventListener('click', function () {
			zoom = root;
			draw();
		});
		invert.addEventListener('click', function () {
			inverted = !inverted;
			invert.textContent = inverted ? 'Top-down' : 'Bottom-up';
			box.dataset.inverted = inverted ? '1' : '';
			root = buildTree(flame, names, inverted);
			zoom = root;
			draw();
		});
		pendingCharts.push(draw);
		return {highlight: function (t) { term = t; draw(); }};
	}

	function drawFlames(section, s) {
		const search = el('input', {type: 'search', placeholder: 'Highlight a function…', 'aria-label': 'highlight a function in the flame graphs'});
		const c1 = el('div', {cls: 'card flame-live'});
		const c2 = el('div', {cls: 'card flame-growth'});
		section.append(el('div', {cls: 'card'}, [el('div', {cls: 'toolbar'}, [el('strong', {text: 'Flame graphs'}), search,
			el('span', {cls: 'info', text: 'Outermost frame at the top; width is the value.'})])]));
		section.append(el('div', {cls: 'flames'}, [c1, c2]));
		const f1 = flameGraph(c1, 'Live heap at the end of the window', s.flame_live, s.names, true);
		const win = s.window ? ' ' + fmtSecs(s.window[0]) + '–' + fmtSecs(s.window[1]) : '';
		const f2 = flameGraph(c2, 'Growth over the window' + win + ' (live bytes, last snapshot minus first)', s.flame_growth, s.names, true);
		search.addEventListener('input', function () {
			f1.highlight(search.value.trim());
			f2.highlight(search.value.trim());
		});
	}

	/* ---- diff between two chosen moments --------------------------------------------- */

	/* The stacks' live bytes at two chosen points of the timeline (s.stacks: the stacks that
	 * allocated most over the trace), as leak-report --diff does per snapshot: what grew,
	 * shrank, appeared or disappeared, largest change first. */
	function drawDiff(section, s) {
		const stacks = s.stacks || [];
		if (s.t.length < 2 || !stacks.length) return;
		const card = el('div', {cls: 'card diff-card'});
		section.append(card);
		const pick = function (sel) {
			const x = el('select', {'aria-label': 'moment ' + sel});
			s.t.forEach(function (t, i) { x.append(el('option', {value: String(i), text: 't = ' + fmtSecs(t)})); });
			return x;
		};
		const a = pick('A'), b = pick('B');
		a.value = '0';
		b.value = String(s.t.length - 1);
		const tbody = el('tbody');
		const table = el('table', {cls: 'diff'}, [el('thead', null, [el('tr', null, [
			el('th', {text: 'change'}), el('th', {cls: 'num', text: 'delta'}), el('th', {cls: 'num', text: 'at A'}),
			el('th', {cls: 'num', text: 'at B'}), el('th', {text: 'stack'})])]), tbody]);
		card.append(el('h3', {text: 'Diff between two moments'}),
			el('div', {cls: 'toolbar'}, ['A ', a, ' B ', b, el('span', {cls: 'info', text: 'live bytes per stack (the ' + stacks.length + ' stacks that allocated most)'})]), table);
		function render() {
			const i = +a.value, k = +b.value;
			const rows = stacks.map(function (st) {
				const x = st.v[i], y = st.v[k];
				return {st: st, x: x, y: y, d: y - x};
			}).filter(function (r) { return r.d !== 0; });
			rows.sort(function (p, q) { return Math.abs(q.d) - Math.abs(p.d); });
			tbody.replaceChildren();
			if (!rows.length) tbody.append(el('tr', null, [el('td', {colspan: 5, cls: 'empty', text: 'no stack changed between these moments'})]));
			for (const r of rows.slice(0, 30)) {
				const change = !r.x ? 'appeared' : !r.y ? 'disappeared' : r.d > 0 ? 'grew' : 'shrank';
				tbody.append(el('tr', {cls: 'diff-row', 'data-change': change}, [
					el('td', {text: change}), el('td', {cls: 'num', text: (r.d > 0 ? '+' : '-') + fmtBytes(Math.abs(r.d))}),
					el('td', {cls: 'num', text: fmtBytes(r.x)}), el('td', {cls: 'num', text: fmtBytes(r.y)}),
					el('td', {cls: 'mono', text: r.st.label, title: r.st.full || ''})]));
			}
		}
		a.addEventListener('change', render);
		b.addEventListener('change', render);
		render();
	}

	/* ---- findings table ------------------------------------------------------------- */

	function details(f) {
		switch (f.kind) {
		case 'fd':
			return (f.fd_type || 'fd') + ' ' + (f.path || '') + (f.peer ? ' → ' + f.peer : '');
		case 'zombie':
		case 'child':
			return 'pids ' + (f.pids || []).join(', ') + (f.state ? ' (' + f.state + ')' : '');
		case 'thread':
			return 'tids ' + (f.tids || []).join(', ') + (f.state ? ' (' + f.state + ')' : '');
		case 'tempfile':
			return (f.path || '') + (f.count > 1 ? ' and ' + (f.count - 1) + ' more' : '');
		case 'leak':
		case 'indirect':
		case 'reachable': /* a row of a stack's heap findings together: what its leak holds */
			return f.held_count ? 'holding ' + fmtBytes(f.held_bytes) + ' in ' + fmtCount(f.held_count) + ' more blocks' : '';
		case 'growth':
		case 'rss':
			if (typeof f.first_bytes === 'number' && typeof f.last_bytes === 'number')
				return fmtBytes(f.first_bytes) + ' → ' + fmtBytes(f.last_bytes) + (f.window ? ' over ' + fmtSecs(f.window[0]) + '–' + fmtSecs(f.window[1]) : '') + (typeof f.eta_s === 'number' ? ', limit in ' + fmtSecs(f.eta_s) : '');
			return '';
		default:
			return '';
		}
	}

	/* The analysis' own trend when it made one (growth findings, or the growth finding of
	 * the same stack), else the change from the first to the last snapshot. */
	function growthRate(f, s, trendByStack) {
		if (typeof f.bytes_per_sec === 'number') return f.bytes_per_sec;
		if (f.stack_id && trendByStack[f.stack_id] !== undefined) return trendByStack[f.stack_id];
		const r = s && s.rates ? s.rates[String(f.stack_id)] : undefined;
		return typeof r === 'number' ? r : null;
	}

	function stackBlock(f) {
		const td = el('td', {colspan: 7});
		if (f.kind === 'fd') {
			td.append(el('div', {cls: 'fdinfo'}, [
				el('b', {text: (f.fd_type || 'descriptor') + ': '}), (f.path || '(no path)'),
				f.peer ? ' — peer ' + f.peer : '', ' — opened by ' + (f.api || '?'),
				' — fds ' + (f.fds || []).join(', '),
				f.inherited_by_exec ? ' — still open across exec (no close-on-exec)' : '',
			]));
		} else if (f.kind === 'tempfile') {
			const paths = f.paths && f.paths.length ? f.paths : [f.path || ''];
			td.append(el('div', {cls: 'fdinfo'}, [el('b', {text: paths.length > 1 ? paths.length + ' temp files: ' : 'temp file: '}), paths.join(', '), ' — ' + (f.api || '')]));
		}
		const ol = el('ol', {cls: 'stack', start: 0});
		for (const fr of f.stack || []) {
			const where = frameWhere(fr);
			ol.append(el('li', {cls: isLibrary(fr) ? 'lib' : ''}, [
				el('span', {cls: 'fn', text: frameName(fr), title: fr.function || ''}),
				where ? el('span', {cls: 'loc', text: '  ' + where}) : null,
				el('span', {cls: 'mod', text: fr.lang === 'python' ? '  [py]' : '  ' + baseName(fr.module || '') + '+' + fr.offset}),
				fr.inlined ? el('span', {cls: 'inl', text: '  (inlined)'}) : null,
			]));
		}
		if (!(f.stack || []).length) td.append(el('p', {cls: 'note', text: 'No stack was recorded for this finding.'}));
		else td.append(ol);
		return el('tr', {cls: 'stack-row'}, [td]);
	}

	function drawFindings(section, p, s) {
		const card = el('div', {cls: 'card findings-card'});
		section.append(card);
		const search = el('input', {type: 'search', placeholder: 'Search kind, function, file, path…', 'aria-label': 'search findings'});
		const count = el('span', {cls: 'info'});
		card.append(el('h3', {text: 'Findings'}), el('div', {cls: 'toolbar'}, [search, count]));
		if (p.findings.length < p.findings_total)
			card.append(el('p', {cls: 'note', text: 'Listing the first ' + fmtCount(p.findings.length) + ' of ' + fmtCount(p.findings_total) + ' ranked findings (leak-view --top N; leak-report --json has all).'}));
		const trendByStack = {};
		for (const f of p.findings) {
			if (f.kind === 'growth' && f.stack_id && typeof f.bytes_per_sec === 'number') trendByStack[f.stack_id] = f.bytes_per_sec;
		}
		/* Each stack once: a growth finding and the leak (indirect, reachable) findings of
		 * the same stack are one row, the kinds joined ("growth + leak"); the row's bytes
		 * and blocks are those the heap findings hold together. */
		const byStack = {};
		const merged = [];
		p.findings.forEach(function (f, i) {
			const heap = f.kind === 'leak' || f.kind === 'indirect' || f.kind === 'reachable' || f.kind === 'growth';
			const prev = heap && f.stack_id ? byStack[f.stack_id] : undefined;
			if (prev) {
				prev.kinds.push(f.kind);
				if (f.kind !== 'growth') {
					const held = prev.held ? {bytes: prev.f.bytes + f.bytes, count: prev.f.count + f.count, held_bytes: (prev.f.held_bytes || 0) + (f.held_bytes || 0), held_count: (prev.f.held_count || 0) + (f.held_count || 0)} : {};
					prev.f = Object.assign({}, f, {bytes_per_sec: prev.f.bytes_per_sec}, held);
					prev.held = true;
				}
				return;
			}
			const r = {f: f, rank: i + 1, kinds: [f.kind], held: heap && f.kind !== 'growth'};
			if (heap && f.stack_id) byStack[f.stack_id] = r;
			merged.push(r);
		});
		const rows = merged.map(function (m) {
			const f = m.f;
			const i = m.rank - 1;
			const text = [f.kind, details(f)].concat((f.stack || []).map(function (fr) { return frameName(fr) + ' ' + frameWhere(fr); })).join(' ').toLowerCase();
			const pi = (f.stack || []).findIndex(function (fr) { return fr.lang === 'python' && fr.function; });
			const ti = pi >= 0 ? pi : (f.stack || []).findIndex(function (fr) { return !isLibrary(fr); });
			const tf = (f.stack || [])[ti < 0 ? 0 : ti];
			return {f: f, rank: i + 1, kind: m.kinds.join(' + '), top: topFrame(f.stack), topFull: tf && tf.function || '', rate: growthRate(f, s, trendByStack), text: text + ' ' + m.kinds.join(' '), open: false};
		});
		const cols = [
			{k: 'rank', t: '#', num: true, v: function (r) { return r.rank; }},
			{k: 'kind', t: 'kind', v: function (r) { return r.kind; }},
			{k: 'bytes', t: 'bytes', num: true, v: function (r) { return r.f.bytes; }},
			{k: 'count', t: 'count', num: true, v: function (r) { return r.f.count; }},
			{k: 'rate', t: 'growth rate', num: true, v: function (r) { return r.rate === null ? -Infinity : r.rate; }},
			{k: 'top', t: 'top frame', v: function (r) { return r.top; }},
			{k: 'details', t: 'details', v: function (r) { return details(r.f); }},
		];
		const table = el('table', {cls: 'findings'});
		const headRow = el('tr');
		const tbody = el('tbody');
		table.append(el('thead', null, [headRow]), tbody);
		card.append(table);
		let sortCol = cols[0];
		let dir = 1;
		for (const c of cols) {
			const th = el('th', {cls: c.num ? 'num' : '', text: c.t, 'data-key': c.k});
			th.addEventListener('click', function () {
				dir = sortCol === c ? -dir : (c.num ? -1 : 1);
				if (c.k === 'rank' && sortCol !== c) dir = 1;
				sortCol = c;
				render();
			});
			headRow.append(th);
		}
		if (!rows.length) tbody.append(el('tr', null, [el('td', {colspan: 7, cls: 'empty', text: 'No findings: nothing leaked.'})]));

		function render() {
			for (const th of headRow.children) {
				if (th.dataset.key === sortCol.k) th.dataset.dir = dir > 0 ? 'asc' : 'desc';
				else delete th.dataset.dir;
			}
			const q = search.value.trim().toLowerCase();
			const shown = rows.filter(function (r) { return !q || r.text.indexOf(q) >= 0; });
			shown.sort(function (a, b) {
				const x = sortCol.v(a), y = sortCol.v(b);
				return (x < y ? -1 : x > y ? 1 : a.rank - b.rank) * (x === y ? 1 : dir);
			});
			if (!rows.length) return;
			tbody.replaceChildren();
			for (const r of shown) {
				const f = r.f;
				const tr = el('tr', {cls: 'finding' + (r.open ? ' open' : ''), 'data-kind': f.kind, 'data-bytes': String(f.bytes || 0)}, [
					el('td', {cls: 'num', text: r.rank}),
					el('td', null, [el('span', {cls: 'kind kind-' + f.kind, text: r.kind})]),
					el('td', {cls: 'num', text: f.bytes ? fmtBytes(f.bytes) : ''}),
					el('td', {cls: 'num', text: fmtCount(f.count)}),
					el('td', {cls: 'num', text: r.rate === null ? '' : fmtBytes(r.rate) + '/s'}),
					el('td', {cls: 'mono', text: r.top, title: r.topFull}),
					el('td', {cls: 'mono', text: details(f)}),
				]);
				tr.addEventListener('click', function () {
					r.open = !r.open;
					render();
				});
				tbody.append(tr);
				if (r.open) tbody.append(stackBlock(f));
			}
			count.textContent = shown.length === rows.length ? fmtCount(rows.length) + ' rows; click a row for its stack, a header to sort' : fmtCount(shown.length) + ' of ' + fmtCount(rows.length) + ' rows match';
		}
		search.addEventListener('input', render);
		render();
	}

	/* ---- page ----------------------------------------------------------------------- */

	function main() {
		const report = JSON.parse(document.getElementById('report-data').textContent);
		const series = JSON.parse(document.getElementById('series-data').textContent);
		const procs = report.processes || [];
		const main = document.getElementById('procs');
		main.replaceChildren();
		let leaked = 0;
		let findings = 0;
		for (const p of procs) {
			leaked += heapLeaked(p);
			findings += p.findings_total;
		}
		document.getElementById('summary').textContent = fmtCount(procs.length) + (procs.length === 1 ? ' process, ' : ' processes, ') + fmtCount(findings) + ' findings, ' + fmtBytes(leaked) + ' leaked on the heap';
		if (procs.length > 1) drawTree(procs);
		procs.forEach(function (p, i) {
			const s = (series.processes || [])[i];
			const section = el('section', {cls: 'proc', id: 'proc-' + i, 'data-pid': p.pid});
			section.append(el('h2', null, [(p.exe ? baseName(p.exe) : '(process)') + ' ', el('span', {cls: 'pid', text: '[' + p.pid + ']' + (p.depth ? ' child of ' + p.ppid : '')})]));
			section.append(drawHeader(p, s));
			main.append(section);
			if (!p.snapshots && !p.findings.length) {
				section.append(el('p', {cls: 'note', text: 'No snapshot and no finding in this trace: nothing to chart.'}));
			} else if (s && s.pid === p.pid) {
				drawTimelines(section, s);
				drawFlames(section, s);
				drawDiff(section, s);
				drawFindings(section, p, s);
			} else {
				drawFindings(section, p, null);
			}
		});
		/* Charts are drawn once their containers are laid out, so they get their width. */
		for (const f of pendingCharts) f();
		document.body.dataset.ready = '1';
	}

	if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
	else main();
})();
