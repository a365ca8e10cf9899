// pocket-docker dashboard: a page of its own server, speaking only its
// JSON API (/api/...).  What containers print or name is only ever put in
// the document as text (textContent, xterm.js), never parsed as HTML.
'use strict';

const view = document.getElementById('view');
let cleanups = []; // what the current page must close when left

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function api(method, path, body) {
  const opt = { method, credentials: 'same-origin' };
  if (body !== undefined) {
    opt.body = typeof body === 'string' ? body : JSON.stringify(body);
    opt.headers = { 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json' };
  }
  const r = await fetch(path, opt);
  const t = await r.text();
  let v = null;
  try { v = JSON.parse(t); } catch (e) { v = { error: t }; }
  if (!r.ok) throw new Error((v && v.error) || r.statusText);
  return v;
}

function confirmBox(text) {
  return new Promise((resolve) => {
    const m = document.getElementById('modal');
    document.getElementById('modal-text').textContent = text;
    m.classList.remove('hidden');
    const done = (v) => { m.classList.add('hidden'); yes.onclick = no.onclick = null; resolve(v); };
    const yes = document.getElementById('modal-yes'), no = document.getElementById('modal-no');
    yes.onclick = () => done(true);
    no.onclick = () => done(false);
  });
}

function flash(msg, isError) {
  const p = el('p', { class: isError ? 'error' : 'muted', id: 'flash' }, msg);
  const old = document.getElementById('flash');
  if (old) old.replaceWith(p); else view.prepend(p);
}

function short(id) { return id.replace(/^sha256:/, '').slice(0, 12); }

function ago(sec) {
  const d = Date.now() / 1000 - sec;
  if (d < 1) return 'Less than a second';
  if (d < 60) return Math.floor(d) + ' seconds';
  if (d < 120) return 'About a minute';
  if (d < 3600) return Math.floor(d / 60) + ' minutes';
  if (d < 7200) return 'About an hour';
  if (d < 86400 * 2) return Math.floor(d / 3600) + ' hours';
  return Math.floor(d / 86400) + ' days';
}

function statusText(c) {
  switch (c.state) {
    case 'running': return 'Up ' + ago(c.started) + (c.health ? ' (' + c.health + ')' : '');
    case 'paused': return 'Up ' + ago(c.started) + ' (Paused)';
    case 'exited': return c.started ? 'Exited (' + c.exit_code + ') ' + ago(c.finished) + ' ago' : 'Exited';
    case 'created': return 'Created';
    default: return c.state;
  }
}

function bytes(n) {
  if (n === undefined || n === null) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n) + ' ' + u[i];
}

// --- containers ---

const actionsFor = {
  running: ['stop', 'restart', 'pause', 'kill'],
  paused: ['unpause', 'stop', 'kill'],
  exited: ['start', 'rm'],
  created: ['start', 'rm'],
  restarting: ['stop', 'kill'],
  stopping: ['kill'],
};
const dangerous = { stop: 1, kill: 1, rm: 1, restart: 1 };

async function act(c, action) {
  const name = c.name || short(c.id);
  if (dangerous[action] && !(await confirmBox(action + ' container ' + name + '?'))) return;
  try {
    await api('POST', '/api/containers/' + encodeURIComponent(c.id) + '/' + action);
    flash(action + ' ' + name + ': done');
  } catch (e) {
    flash(action + ' ' + name + ': ' + e.message, true);
  }
}

// One row's cells, in order; a row is made once per container (a clone of
// the template) and later frames change only the text that changed.
const COLS = ['name', 'id', 'image', 'command', 'state', 'health', 'ports', 'cpu', 'mem', 'pids', 'actions'];
const rowTemplate = (() => {
  const tr = document.createElement('tr');
  tr.setAttribute('role', 'row');
  const cls = { id: 'mono', command: 'mono', ports: 'mono', cpu: 'num', mem: 'num', pids: 'num' };
  for (const k of COLS) {
    const td = document.createElement('td');
    td.setAttribute('role', 'cell');
    if (cls[k]) td.className = cls[k];
    if (k === 'name') { const a = document.createElement('a'); a.className = 'name'; td.append(a); }
    tr.append(td);
  }
  return tr;
})();

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function fillRow(tr, c, prev) {
  const td = tr.children;
  let cpu = '';
  const s = c.stats, p = prev && prev.stats;
  if (s && p && s.at > p.at) cpu = ((s.cpu_ns - p.cpu_ns) / ((s.at - p.at) * 1e9) * 100).toFixed(1) + '%';
  if (tr.dataset.name !== (c.name || '')) {
    tr.dataset.name = c.name || '';
    const a = td[0].firstChild;
    a.href = '#/container/' + c.id;
    a.textContent = c.name || '';
  }
  setText(td[1], short(c.id));
  // Cut to the column's width: the whole text in the title.
  const cmd = (c.command || []).join(' ');
  if (td[2].title !== (c.image || '')) td[2].title = td[2].textContent = c.image || '';
  if (td[3].title !== cmd) { td[3].title = cmd; td[3].textContent = cmd.slice(0, 80); }
  setText(td[4], statusText(c));
  td[4].className = 'state state-' + c.state;
  setText(td[5], c.health || '');
  td[5].className = c.health ? 'health-' + c.health : '';
  setText(td[6], c.ports || '');
  setText(td[7], cpu);
  setText(td[8], s ? bytes(s.mem) : '');
  setText(td[9], s ? String(s.pids) : '');
  if (tr.dataset.state !== c.state) {
    tr.dataset.state = c.state;
    td[10].replaceChildren(actionButtons(c.state));
  }
}

// A state's buttons, made once and cloned for each row in that state.
const buttonSets = {};
function actionButtons(state) {
  let f = buttonSets[state];
  if (!f) {
    f = buttonSets[state] = document.createDocumentFragment();
    for (const a of actionsFor[state] || []) f.append(el('button', { class: dangerous[a] ? 'danger' : '', 'data-action': a }, a));
  }
  return f.cloneNode(true);
}

function pageContainers() {
  const tbody = el('tbody', { role: 'rowgroup' });
  // Laid out as a grid (app.css), so the table's roles are given again.
  const table = el('table', { id: 'containers', role: 'table' },
    el('thead', { role: 'rowgroup' }, el('tr', { role: 'row' }, ...['Name', 'ID', 'Image', 'Command', 'Status', 'Health', 'Ports', 'CPU', 'Memory', 'PIDs', ''].map((h) => el('th', { role: 'columnheader' }, h)))),
    tbody);
  const count = el('span', { class: 'muted', id: 'count' }, 'loading…');
  view.append(el('div', { class: 'toolbar' }, el('h1', {}, 'Containers'), count), table);
  let prev = new Map();
  const rows = new Map(); // id -> tr
  // One listener for every button of the table.
  tbody.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-action]');
    const tr = b && b.closest('tr');
    const c = tr && prev.get(tr.dataset.id);
    if (c) act(c, b.dataset.action);
  });
  function show(list) {
    const b = document.body.dataset;
    if (!b.fetched) b.fetched = String(performance.now());
    if (!Array.isArray(list)) { count.textContent = list.error || 'error'; return; }
    const seen = new Set(), ordered = [];
    let same = list.length === tbody.children.length;
    for (const c of list) {
      seen.add(c.id);
      let tr = rows.get(c.id);
      if (!tr) {
        tr = rowTemplate.cloneNode(true);
        tr.dataset.id = c.id;
        rows.set(c.id, tr);
      }
      fillRow(tr, c, prev.get(c.id));
      if (same && tbody.children[ordered.length] !== tr) same = false;
      ordered.push(tr);
    }
    for (const id of rows.keys()) if (!seen.has(id)) rows.delete(id);
    if (!same) tbody.replaceChildren(...ordered);
    prev = new Map(list.map((c) => [c.id, c]));
    count.textContent = list.length + ' containers, ' + list.filter((c) => c.state === 'running').length + ' running';
    if (!b.loaded) {
      b.loaded = String(performance.now());
      requestAnimationFrame(() => setTimeout(() => { b.painted = String(performance.now()); }, 0));
    }
  }
  // The first list by fetch (preloaded by index.html on a first visit),
  // then the stream's, whose first comes 2 s later (wait=1).
  let es = null, closed = false;
  fetch('/api/containers', { credentials: 'same-origin' }).then((r) => r.json()).then(show)
    .catch((e) => { count.textContent = e.message; })
    .finally(() => {
      if (closed) return;
      es = new EventSource('/api/containers/events?wait=1');
      es.onmessage = (ev) => show(JSON.parse(ev.data));
    });
  cleanups.push(() => { closed = true; if (es) es.close(); });
}

// --- one container ---

function kv(obj) {
  const dl = el('dl', { class: 'kv' });
  for (const [k, v] of Object.entries(obj || {})) {
    let text;
    if (v === null || v === undefined) text = '';
    else if (typeof v === 'object') text = Array.isArray(v) && v.every((x) => typeof x !== 'object') ? v.join(' ') : JSON.stringify(v, null, 1);
    else text = String(v);
    dl.append(el('dt', {}, k), el('dd', { class: typeof v === 'object' ? 'mono' : '' }, text));
  }
  return dl;
}

function chart(title, fmt) {
  const canvas = el('canvas', { class: 'chart', width: '360', height: '120' });
  const label = el('p', {}, title);
  const pts = [];
  function draw() {
    const g = canvas.getContext('2d');
    g.clearRect(0, 0, canvas.width, canvas.height);
    if (!pts.length) return;
    const now = pts[pts.length - 1].t, span = 300;
    const max = Math.max(1e-9, ...pts.map((p) => p.v)) * 1.15;
    g.strokeStyle = '#e3e6eb';
    for (let i = 1; i < 4; i++) { g.beginPath(); g.moveTo(0, i * 30); g.lineTo(360, i * 30); g.stroke(); }
    g.strokeStyle = '#2f6fd6'; g.lineWidth = 1.5; g.beginPath();
    pts.forEach((p, i) => {
      const x = 360 - (now - p.t) / span * 360, y = 118 - p.v / max * 112;
      if (i) g.lineTo(x, y); else g.moveTo(x, y);
    });
    g.stroke();
    label.textContent = title + ': ' + fmt(pts[pts.length - 1].v) + ' (max ' + fmt(max / 1.15) + ', last 5 minutes)';
  }
  return {
    node: el('div', { class: 'chart-box' }, label, canvas),
    add(t, v) { pts.push({ t, v }); while (pts.length && pts[0].t < t - 300) pts.shift(); draw(); },
  };
}

function logsSection(id) {
  const pre = el('pre', { id: 'logs' });
  const search = el('input', { type: 'search', placeholder: 'search', id: 'log-search' });
  const lines = [];
  function show() {
    const q = search.value;
    const keep = q ? lines.filter((l) => l.includes(q)) : lines;
    pre.textContent = keep.join('\n');
    pre.scrollTop = pre.scrollHeight;
  }
  search.addEventListener('input', show);
  const es = new EventSource('/api/containers/' + encodeURIComponent(id) + '/logs?follow=1&tail=1000');
  es.onmessage = (ev) => {
    const line = JSON.parse(ev.data);
    lines.push(line);
    if (lines.length > 5000) lines.shift();
    if (!search.value || line.includes(search.value)) {
      pre.append((pre.textContent ? '\n' : '') + line);
      pre.scrollTop = pre.scrollHeight;
    }
  };
  es.addEventListener('end', () => es.close());
  cleanups.push(() => es.close());
  return el('section', {},
    el('h2', {}, 'Logs'),
    el('div', { class: 'toolbar' }, search,
      el('a', { href: '/api/containers/' + encodeURIComponent(id) + '/logs?download=1', download: id.slice(0, 12) + '.log' }, 'download')),
    pre);
}

function statsSection(id) {
  const cpu = chart('CPU', (v) => v.toFixed(1) + '%');
  const mem = chart('Memory', bytes);
  const pids = chart('PIDs', (v) => String(Math.round(v)));
  let prev = null;
  const es = new EventSource('/api/containers/' + encodeURIComponent(id) + '/stats/events');
  es.onmessage = (ev) => {
    const s = JSON.parse(ev.data);
    if (s.cpu_ns === undefined) { prev = null; return; }
    if (prev) cpu.add(s.at, (s.cpu_ns - prev.cpu_ns) / ((s.at - prev.at) * 1e9) * 100);
    mem.add(s.at, s.mem);
    pids.add(s.at, s.pids);
    prev = s;
  };
  es.addEventListener('end', () => es.close());
  cleanups.push(() => es.close());
  return el('section', {}, el('h2', {}, 'CPU, memory, PIDs'), el('div', { class: 'charts' }, cpu.node, mem.node, pids.node));
}

function topSection(id) {
  const box = el('div', {}, 'loading…');
  async function load() {
    try {
      const t = await api('GET', '/api/containers/' + encodeURIComponent(id) + '/top');
      box.replaceChildren(el('table', { id: 'top' },
        el('thead', {}, el('tr', {}, ...t.titles.map((h) => el('th', {}, h)))),
        el('tbody', {}, ...t.processes.map((r) => el('tr', {}, ...r.map((c) => el('td', { class: 'mono' }, c)))))));
    } catch (e) { box.replaceChildren(el('p', { class: 'muted' }, e.message)); }
  }
  load();
  return el('section', {}, el('h2', {}, 'Processes ', el('button', { onclick: load }, 'refresh')), box);
}

// xterm.js (280 KB) and its style are loaded when a terminal is first
// opened, not with every page.
function loadScript(src) {
  return new Promise((resolve, reject) => {
    if (document.querySelector('script[src="' + src + '"]')) { resolve(); return; }
    const s = el('script', { src });
    s.onload = resolve;
    s.onerror = () => reject(new Error('cannot load ' + src));
    document.head.append(s);
  });
}

function loadStyle(href) {
  if (!document.querySelector('link[href="' + href + '"]')) document.head.append(el('link', { rel: 'stylesheet', href }));
}

function terminalSection(id) {
  const box = el('div', { class: 'terminal-box', id: 'terminal' });
  const openBtn = el('button', { id: 'term-open' }, 'open a shell (exec -it sh)');
  const section = el('section', {}, el('h2', {}, 'Terminal ', openBtn), box);
  openBtn.addEventListener('click', async () => {
    openBtn.disabled = true;
    let sid;
    try {
      loadStyle('/static/xterm.css');
      await loadScript('/static/xterm.js');
      await loadScript('/static/fit.js');
      sid = (await api('POST', '/api/containers/' + encodeURIComponent(id) + '/exec?cmd=sh')).session;
    } catch (e) { flash('terminal: ' + e.message, true); openBtn.disabled = false; return; }
    const term = new Terminal({ fontSize: 13, convertEol: false });
    const fit = new FitAddon.FitAddon();
    term.loadAddon(fit);
    term.open(box);
    window.pdTerm = term; // for the tests: the screen's text
    const base = '/api/exec/' + sid + '/';
    let queue = Promise.resolve();
    const send = (path, body) => { queue = queue.then(() => api('POST', base + path, body).catch(() => {})); };
    term.onData((d) => send('input', d));
    term.onResize(({ cols, rows }) => send('resize?cols=' + cols + '&rows=' + rows));
    const es = new EventSource(base + 'events');
    es.onmessage = (ev) => {
      const bin = atob(ev.data);
      const u8 = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u8[i] = bin.charCodeAt(i);
      term.write(u8);
    };
    es.addEventListener('end', () => { es.close(); term.write('\r\n[session ended]\r\n'); });
    fit.fit();
    send('resize?cols=' + term.cols + '&rows=' + term.rows);
    const onResize = () => fit.fit();
    window.addEventListener('resize', onResize);
    term.focus();
    cleanups.push(() => { es.close(); window.removeEventListener('resize', onResize); term.dispose(); });
  });
  return section;
}

async function pageContainer(id) {
  const head = el('div', { class: 'toolbar' }, el('h1', {}, 'Container'));
  view.append(head);
  let info;
  try {
    info = await api('GET', '/api/containers/' + encodeURIComponent(id));
  } catch (e) { flash(e.message, true); return; }
  head.replaceChildren(el('h1', {}, (info.Name || '').replace(/^\//, '') || short(info.Id)), el('span', { class: 'mono muted' }, info.Id));
  const st = info.State || {};
  const c = { id: info.Id, name: (info.Name || '').replace(/^\//, ''), state: st.Status };
  head.append(...(actionsFor[c.state] || []).map((a) => el('button', { class: dangerous[a] ? 'danger' : '', onclick: () => act(c, a).then(() => route()) }, a)));
  const sections = [['State', st], ['Config', info.Config], ['Host config', info.HostConfig], ['Network', info.NetworkSettings], ['Mounts', info.Mounts]];
  const inspect = el('section', {}, el('h2', {}, 'Inspect'));
  for (const [title, obj] of sections) {
    if (!obj) continue;
    inspect.append(el('details', { open: '' }, el('summary', {}, title), kv(obj)));
  }
  view.append(inspect, logsSection(info.Id), statsSection(info.Id), topSection(info.Id), terminalSection(info.Id));
}

// --- images ---

async function pageImages() {
  const tbody = el('tbody');
  const ref = el('input', { id: 'pull-ref', placeholder: 'busybox:latest or a tarball URL', size: '40' });
  const progress = el('pre', { id: 'pull-progress', class: 'hidden' });
  async function load() {
    try {
      const list = await api('GET', '/api/images');
      tbody.replaceChildren(...list.map((i) => el('tr', {},
        el('td', {}, i.names.join(', ') || '<none>'),
        el('td', { class: 'mono' }, short(i.id)),
        el('td', {}, ago(i.created) + ' ago'),
        el('td', { class: 'num' }, bytes(i.size)),
        el('td', { class: 'num' }, i.layers),
        el('td', {}, el('button', { class: 'danger', onclick: async () => {
          if (!(await confirmBox('remove image ' + (i.names[0] || short(i.id)) + '?'))) return;
          try { await api('POST', '/api/images/' + encodeURIComponent(i.id) + '/rm'); load(); } catch (e) { flash(e.message, true); }
        } }, 'rm')))));
    } catch (e) { flash(e.message, true); }
  }
  async function pull(ev) {
    ev.preventDefault();
    progress.classList.remove('hidden');
    progress.textContent = '';
    progress.dataset.state = 'pulling';
    const r = await fetch('/api/images/pull', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ ref: ref.value }) });
    const reader = r.body.getReader(), dec = new TextDecoder();
    let raw = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      // Progress lines rewrite themselves with a carriage return.
      raw += dec.decode(value, { stream: true });
      progress.textContent = raw.split('\n').map((l) => l.split('\r').filter((x) => x).pop() || '').join('\n');
    }
    progress.dataset.state = r.ok && /\[exit 0\]\s*$/.test(raw) ? 'pulled' : 'failed';
    load();
  }
  view.append(el('h1', {}, 'Images'),
    el('form', { class: 'toolbar', onsubmit: pull }, ref, el('button', { type: 'submit' }, 'pull')), progress,
    el('table', { id: 'images' }, el('thead', {}, el('tr', {}, ...['Name', 'ID', 'Created', 'Size', 'Layers', ''].map((h) => el('th', {}, h)))), tbody));
  load();
}

// --- run ---

// Shell-style words: blanks split, quotes group, backslash escapes.
function words(s) {
  const out = [];
  let cur = null, q = null;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (q) { if (ch === q) q = null; else if (ch === '\\' && q === '"' && i + 1 < s.length) cur += s[++i]; else cur += ch; continue; }
    if (ch === '"' || ch === "'") { q = ch; cur = cur || ''; continue; }
    if (ch === '\\' && i + 1 < s.length) { cur = (cur || '') + s[++i]; continue; }
    if (/\s/.test(ch)) { if (cur !== null) out.push(cur); cur = null; continue; }
    cur = (cur || '') + ch;
  }
  if (cur !== null) out.push(cur);
  return out;
}

function pageRun() {
  const f = {};
  const field = (name, label, node) => { f[name] = node; node.id = 'run-' + name; return [el('label', { for: 'run-' + name }, label), node]; };
  const lines = (v) => v.split('\n').map((x) => x.trim()).filter((x) => x);
  const out = el('pre', { id: 'run-output', class: 'hidden' });
  const form = el('form', { class: 'run' },
    ...field('image', 'Image', el('input', { placeholder: 'busybox' })),
    ...field('rootfs', 'or root filesystem', el('input', { placeholder: '/path/to/rootfs or rootfs.tar.gz' })),
    ...field('name', 'Name', el('input', {})),
    ...field('cmd', 'Command', el('input', { placeholder: "sh -c 'echo hello; sleep 60'" })),
    ...field('env', 'Environment (KEY=VALUE a line)', el('textarea', { rows: '3' })),
    ...field('publish', 'Ports (HOST:CONTAINER a line)', el('textarea', { rows: '2' })),
    ...field('volume', 'Volumes (SRC:DST[:ro] a line)', el('textarea', { rows: '2' })),
    ...field('memory', 'Memory limit', el('input', { placeholder: '256m' })),
    ...field('cpus', 'CPUs', el('input', { placeholder: '0.5' })),
    ...field('restart', 'Restart policy', el('select', {}, ...['', 'no', 'on-failure', 'always', 'unless-stopped'].map((v) => el('option', { value: v }, v || '(default)')))),
    el('span'), el('button', { type: 'submit', id: 'run-submit' }, 'run'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {
      image: f.image.value.trim(), rootfs: f.rootfs.value.trim(), name: f.name.value.trim(), cmd: words(f.cmd.value),
      env: lines(f.env.value), publish: lines(f.publish.value), volume: lines(f.volume.value),
      memory: f.memory.value.trim(), cpus: f.cpus.value.trim(), restart: f.restart.value,
    };
    out.classList.remove('hidden');
    out.textContent = 'starting…';
    try {
      const r = await api('POST', '/api/containers/run', body);
      const id = r.output.trim().split('\n').pop();
      out.replaceChildren('started ', el('a', { href: '#/container/' + id }, id));
    } catch (e) { out.textContent = e.message; }
  });
  view.append(el('h1', {}, 'Run a container'), form, out);
}

// --- events ---

// The state root's events (`pocket-docker events`), streamed by the server
// as they are recorded: the last 50 kept, then each new one on top.
// Filters: the type and a container (name or id prefix); a change
// reopens the stream.
function pageEvents() {
  const tbody = el('tbody');
  const type = el('select', { id: 'events-type' }, ...['', 'container', 'image'].map((v) => el('option', { value: v }, v || 'all types')));
  const ctr = el('input', { id: 'events-container', placeholder: 'container name or id', size: '24' });
  const state = el('span', { class: 'muted', id: 'events-state' }, 'connecting…');
  view.append(el('h1', {}, 'Events'),
    el('form', { class: 'toolbar', onsubmit: (ev) => { ev.preventDefault(); open(); } }, type, ctr, el('button', { type: 'submit' }, 'filter'), state),
    el('table', { id: 'events' }, el('thead', {}, el('tr', {}, ...['Time', 'Type', 'Action', 'Actor', 'Attributes'].map((h) => el('th', {}, h)))), tbody));
  let es = null;
  function open() {
    if (es) es.close();
    tbody.replaceChildren();
    const q = new URLSearchParams({ past: '50' });
    if (type.value) q.set('type', type.value);
    if (ctr.value.trim()) q.set('container', ctr.value.trim());
    es = new EventSource('/api/events?' + q);
    es.onopen = () => { state.textContent = 'live'; };
    es.onerror = () => { state.textContent = 'reconnecting…'; };
    es.onmessage = (ev) => {
      const e = JSON.parse(ev.data);
      const a = e.attributes || {};
      const actor = a.name || short(e.id);
      const rest = Object.entries(a).filter(([k]) => k !== 'name').map(([k, v]) => k + '=' + v).join(', ');
      tbody.prepend(el('tr', { 'data-action': e.action, 'data-actor': actor },
        el('td', { class: 'mono' }, new Date(e.time * 1000).toLocaleString()),
        el('td', {}, e.type), el('td', {}, e.action),
        e.type === 'container' ? el('td', {}, el('a', { href: '#/container/' + e.id }, actor)) : el('td', {}, actor),
        el('td', { class: 'mono' }, rest)));
      while (tbody.children.length > 1000) tbody.lastChild.remove();
    };
  }
  open();
  cleanups.push(() => es && es.close());
}

// --- router ---

function route() {
  for (const f of cleanups) f();
  cleanups = [];
  view.replaceChildren();
  const h = location.hash || '#/containers';
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', h.startsWith(a.getAttribute('href')));
  let m;
  if ((m = h.match(/^#\/container\/([^/]+)$/))) pageContainer(decodeURIComponent(m[1]));
  else if (h === '#/images') pageImages();
  else if (h === '#/run') pageRun();
  else if (h === '#/events') pageEvents();
  else pageContainers();
}

window.addEventListener('hashchange', route);
api('GET', '/api/info').then((i) => { document.getElementById('root').textContent = 'state root ' + i.root + (i.rootless ? ' (rootless)' : ''); }).catch(() => {});
route();
