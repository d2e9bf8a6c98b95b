// Holo dashboard: plain JS over the /api endpoints of `holo serve` (docs/http_api.md).
// Every value from the API is put into the page with textContent, never as HTML.
'use strict';

const TOKEN_KEY = 'holo.token';
const STAGES = ['awareness', 'interest', 'purchase', 'loyalty'];
const FLOW_STAGES = ['none', ...STAGES];

// ---------------------------------------------------------------- helpers

const $ = (id) => document.getElementById(id);

// el('td', {class: 'num', dataset: {x: 1}}, 'text', childNode, ...)
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k === 'onclick') node.addEventListener('click', v);
    else if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

function fmt(v) {
  if (v === null || v === undefined) return '–';
  if (Array.isArray(v)) return v.length ? v.map(fmt).join(', ') : '–';
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(+v.toFixed(3));
  return String(v);
}

function table(headers, rows, rowAttrs) {
  return el('table', {},
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows.map((r, i) =>
      el('tr', rowAttrs ? rowAttrs(i) : {}, r.map((c) => el('td', {}, c instanceof Node ? c : fmt(c)))))));
}

// Fields a renderer did not use, as a key/value table (so new fields still show).
function otherFields(obj, known, title) {
  const rest = Object.entries(obj || {}).filter(([k]) => !known.includes(k));
  if (!rest.length) return '';
  return el('div', {}, el('h4', {}, title || 'Other fields'), table(['field', 'value'], rest));
}

function showError(id, err) {
  const box = $(id);
  if (!err) { box.hidden = true; box.textContent = ''; return; }
  box.textContent = err.message || String(err);
  box.hidden = false;
}

function setContent(id, ...nodes) { $(id).replaceChildren(...nodes.flat().filter((n) => n !== '')); }

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + (sessionStorage.getItem(TOKEN_KEY) || '') };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', `${method} ${path}: ${e.message}`);
  }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) {
    const e = data && data.error;
    const msg = (e && (e.message || e.code)) || text || resp.statusText;
    if (resp.status === 401) showLogin(`Signed out: ${msg}`);
    throw new ApiError(resp.status, e && e.code, `${resp.status}: ${msg}`);
  }
  if (data === null && text) throw new ApiError(resp.status, 'bad_json', `${method} ${path}: the answer is not JSON`);
  return data;
}

const enc = encodeURIComponent;

// ---------------------------------------------------------------- charts

const charts = {};

function chart(node, option) {
  const key = node.id || node.dataset.chartKey;
  if (charts[key]) charts[key].dispose();
  charts[key] = echarts.init(node);
  charts[key].setOption(option);
  return charts[key];
}

function disposeCharts(prefix) {
  for (const k of Object.keys(charts)) {
    if (k.startsWith(prefix)) { charts[k].dispose(); delete charts[k]; }
  }
}

window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));

// A count that may be suppressed: a number, or a string such as "<50", or null.
function countValue(v) { return typeof v === 'number' ? v : 0; }

// A bar for such a count: a suppressed "<k" is drawn grey up to k (an upper bound).
function countBar(v, color) {
  const m = typeof v === 'string' && v.match(/^<(\d+)$/);
  if (m) return { value: +m[1], itemStyle: { color: '#d5dae1' } };
  return { value: countValue(v), itemStyle: { color } };
}

// ---------------------------------------------------------------- login and routing

function tokenFromHash() {
  const m = location.hash.match(/(?:^#|[&?])token=([^&]+)/);
  if (!m) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
  const rest = location.hash.replace(/[&?]?token=[^&]+/, '').replace(/^#&?/, '#');
  history.replaceState(null, '', rest.length > 1 ? rest : '#/search');
}

function showLogin(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  document.querySelectorAll('.view').forEach((v) => { v.hidden = v.id !== 'view-login'; });
  $('nav').hidden = true;
  $('logout-button').hidden = true;
  $('stats').textContent = '';
  showError('login-error', message ? new Error(message) : null);
}

async function loadStats() {
  try {
    const s = await api('GET', '/api/stats');
    $('stats').textContent = Object.entries(s || {})
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => `${k} ${v.toLocaleString('en')}`).join(' · ');
  } catch (e) {
    $('stats').textContent = '';
  }
}

const views = { search: enterSearch, segments: enterSegments, funnel: () => {}, explain: () => {} };

function route() {
  tokenFromHash();
  if (!sessionStorage.getItem(TOKEN_KEY)) { showLogin(); return; }
  const [, name = 'search', ...rest] = location.hash.split('/');
  const view = views[name] ? name : 'search';
  document.querySelectorAll('.view').forEach((v) => { v.hidden = v.id !== 'view-' + view; });
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.view === view));
  $('nav').hidden = false;
  $('logout-button').hidden = false;
  if (!$('stats').textContent) loadStats();
  views[view](rest.length ? decodeURIComponent(rest.join('/')) : '');
}

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token-input').value.trim());
  $('token-input').value = '';
  showError('login-error', null);
  route();
});

$('logout-button').addEventListener('click', () => showLogin());

// ---------------------------------------------------------------- consumer 360

let currentProfileId = '';
let eventsNext = null;

function enterSearch(id) {
  if (id && id !== currentProfileId) {
    $('search-input').value = id;
    lookUp(id);
  }
}

$('search-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const id = $('search-input').value.trim();
  if (!id) return;
  const target = '#/search/' + enc(id);
  if (location.hash === target) lookUp(id); else location.hash = target;
});

async function lookUp(id) {
  currentProfileId = id;
  showError('search-error', null);
  $('profile').hidden = true;
  let answer;
  try {
    answer = await api('GET', `/api/profiles/${enc(id)}`);
  } catch (e) {
    showError('search-error', e);
    return;
  }
  renderProfile(answer || {});
  $('profile').hidden = false;
  loadPeople(id);
  setContent('profile-events');
  eventsNext = null;
  loadEvents(id, null);
}

// Identifiers arrive as {type: [values]}; also accept [{type, value}] or ["type:value"].
function identifierRows(ids) {
  const rows = [];
  if (Array.isArray(ids)) {
    for (const x of ids) {
      if (typeof x === 'string') {
        const i = x.indexOf(':');
        rows.push(i > 0 ? [x.slice(0, i), x.slice(i + 1)] : ['', x]);
      } else if (x && typeof x === 'object') {
        rows.push([x.type ?? '', x.value ?? x.id ?? JSON.stringify(x)]);
      }
    }
  } else if (ids && typeof ids === 'object') {
    for (const [type, vals] of Object.entries(ids)) {
      for (const v of Array.isArray(vals) ? vals : [vals]) rows.push([type, typeof v === 'string' ? v : JSON.stringify(v)]);
    }
  }
  return rows;
}

function appOf(type) {
  const at = type.indexOf('@');
  return at >= 0 ? type.slice(at + 1) : '';
}

function renderProfile(answer) {
  const p = answer.profile && typeof answer.profile === 'object' ? answer.profile : answer;
  const oneid = answer.oneid ?? p.oneid;
  $('profile-oneid').textContent = fmt(oneid);
  $('profile-completeness').textContent =
    typeof p.completeness === 'number' ? Math.round(p.completeness * 100) + '%' : fmt(p.completeness);
  $('profile-event-count').textContent = fmt(p.events);

  // Summary line.
  const summary = [['sources', p.sources], ['first seen', p.first_seen], ['last seen', p.last_seen], ['as of', p.as_of]]
    .filter(([, v]) => v !== undefined);
  setContent('profile-summary', el('p', { class: 'muted' }, summary.map(([k, v]) => `${k}: ${fmt(v)}`).join(' · ')));

  // Segments.
  const segs = Array.isArray(answer.segments) ? answer.segments : [];
  setContent('profile-segments', segs.length
    ? segs.map((s) => el('a', { class: 'chip', href: '#/segments/' + enc(s), dataset: { testid: 'profile-segment' } }, s))
    : el('span', { class: 'muted' }, 'in no segment'));

  // Traits with provenance.
  const traits = p.traits || {};
  const meta = p.trait_meta || {};
  const traitRows = Object.entries(traits).map(([name, value]) => {
    const m = meta[name] || {};
    const conf = typeof m.confidence === 'number'
      ? el('span', { class: 'conf' }, el('span', { class: 'bar', style: `width:${(m.confidence * 4).toFixed(2)}em` }), fmt(m.confidence))
      : '–';
    return [name, value, m.sources ?? '–', m.events ?? '–', conf];
  });
  setContent('profile-traits', traitRows.length
    ? table(['trait', 'value', 'sources', 'events', 'confidence'], traitRows,
      (i) => ({ dataset: { testid: 'trait-row', trait: traitRows[i][0] } }))
    : el('p', { class: 'muted' }, 'no traits'));

  // Identifiers across apps (values are pseudonyms).
  const ids = identifierRows(p.identifiers ?? answer.identifiers);
  $('profile-identifier-count').textContent = String(ids.length);
  setContent('profile-identifiers', ids.length
    ? table(['type', 'app', 'pseudonym'], ids.map(([t, v]) => [t, appOf(t) || '–', el('code', {}, v)]),
      () => ({ dataset: { testid: 'identifier-row' } }))
    : el('p', { class: 'muted' }, 'no identifiers'));

  const knownP = ['oneid', 'identifiers', 'sources', 'events', 'first_seen', 'last_seen', 'traits', 'trait_meta',
    'completeness', 'as_of'];
  setContent('profile-other', otherFields(p, knownP, 'Other profile fields'),
    otherFields(answer, ['oneid', 'profile', 'segments', 'identifiers'], 'Other fields'));
}

async function loadPeople(id) {
  showError('people-error', null);
  setContent('profile-people', el('p', { class: 'muted' }, 'loading…'));
  let ans;
  try {
    ans = await api('GET', `/api/profiles/${enc(id)}/people`);
  } catch (e) {
    setContent('profile-people');
    showError('people-error', e);
    return;
  }
  if (id !== currentProfileId) return;
  const ties = Array.isArray(ans && ans.ties) ? ans.ties : [];
  const rows = ties.map((t) => [
    t.type,
    t.oneid !== undefined ? el('a', { href: '#/search/' + enc(String(t.oneid)) }, String(t.oneid)) : '–',
    t.strength, t.interactions, t.evidence]);
  setContent('profile-people',
    rows.length ? table(['tie', 'OneID', 'strength', 'interactions', 'evidence'], rows,
      () => ({ dataset: { testid: 'tie-row' } }))
      : el('p', { class: 'muted' }, 'no household, family or friend ties found'),
    otherFields(ans, ['oneid', 'ties']));
}

async function loadEvents(id, before) {
  showError('events-error', null);
  $('events-more').hidden = true;
  let ans;
  try {
    const q = before === null ? '' : `&before=${enc(String(before))}`;
    ans = await api('GET', `/api/profiles/${enc(id)}/events?limit=20${q}`);
  } catch (e) {
    showError('events-error', e);
    return;
  }
  if (id !== currentProfileId) return;
  const events = Array.isArray(ans && ans.events) ? ans.events : [];
  let tbody = $('profile-events').querySelector('tbody');
  if (!tbody) {
    const t = table(['time', 'source', 'type', 'event', 'properties'], []);
    setContent('profile-events', t);
    tbody = t.querySelector('tbody');
  }
  for (const e of events) {
    const props = e.properties && typeof e.properties === 'object' ? e.properties : {};
    const short = Object.entries(props).slice(0, 4).map(([k, v]) => `${k}=${fmt(v)}`).join(' ');
    tbody.append(el('tr', { dataset: { testid: 'event-row', seq: String(e.seq ?? '') } },
      el('td', {}, fmt(e.timestamp)), el('td', {}, fmt(e.source)), el('td', {}, fmt(e.type)),
      el('td', {}, fmt(e.event)),
      el('td', {}, el('details', {}, el('summary', {}, short.length > 90 ? short.slice(0, 90) + '…' : short || '–'),
        el('pre', {}, JSON.stringify(props, null, 1))))));
  }
  if (!tbody.children.length) tbody.append(el('tr', {}, el('td', { colspan: '5', class: 'muted' }, 'no events')));
  eventsNext = ans && ans.next !== undefined && ans.next !== null ? ans.next : null;
  $('events-more').hidden = eventsNext === null;
}

$('events-more').addEventListener('click', () => loadEvents(currentProfileId, eventsNext));

// ---------------------------------------------------------------- segment builder

let countTimer = null;
let countSeq = 0;
let selectedSegment = '';
let gpSeq = 0;

function enterSegments(name) {
  loadSegments();
  loadTraitRegistry();
  if (name) selectSegment(name);
}

// The traits an expression may use, from the server's trait registry (GET /api/traits):
// grouped by family; a click inserts the name at the cursor.
async function loadTraitRegistry() {
  showError('traits-error', null);
  let ans;
  try {
    ans = await api('GET', '/api/traits');
  } catch (e) {
    showError('traits-error', e);
    return;
  }
  const traits = Array.isArray(ans && ans.traits) ? ans.traits : [];
  const families = new Map();
  for (const t of traits) {
    if (!families.has(t.family)) families.set(t.family, []);
    families.get(t.family).push(t);
  }
  const groups = [];
  for (const [family, list] of families) {
    groups.push(el('div', { class: 'trait-family', dataset: { testid: 'trait-family', family } },
      el('span', { class: 'muted' }, family + ': '),
      ...list.map((t) => el('button', {
        type: 'button', class: 'chip', title: `${t.type} · ${t.how}`,
        dataset: { testid: 'trait-chip', trait: t.name, kind: t.kind },
      }, t.name))));
  }
  setContent('trait-list', groups.length ? groups : el('p', { class: 'muted' }, 'no traits'));
}

$('trait-list').addEventListener('click', (ev) => {
  const chip = ev.target.closest('[data-testid="trait-chip"]');
  if (!chip) return;
  const area = $('segment-expr');
  const at = area.selectionStart ?? area.value.length;
  const end = area.selectionEnd ?? at;
  area.value = area.value.slice(0, at) + chip.dataset.trait + area.value.slice(end);
  area.focus();
  area.selectionStart = area.selectionEnd = at + chip.dataset.trait.length;
  area.dispatchEvent(new Event('input'));
});

$('segment-expr').addEventListener('input', () => {
  clearTimeout(countTimer);
  countTimer = setTimeout(liveCount, 300);
});

async function liveCount() {
  const expression = $('segment-expr').value.trim();
  const out = $('segment-count');
  const seq = ++countSeq;
  delete out.dataset.count;
  delete out.dataset.expr;
  if (!expression) { out.textContent = '–'; showError('segment-error', null); return; }
  out.textContent = '…';
  try {
    const ans = await api('POST', '/api/count', { expression });
    if (seq !== countSeq) return;
    showError('segment-error', null);
    if (ans && ans.count === null && ans.withheld) {
      // An analyst's answer withheld: the rule, never a number.
      out.textContent = `withheld: ${ans.withheld}`;
      out.dataset.count = 'suppressed';
    } else if (ans && ans.noised) {
      // An analyst's answer: differentially private, paid from their budget.
      const b = ans.budget || {};
      out.textContent = `≈ ${fmt(ans.count)} (noised; budget ${fmt(b.spent)} of ${fmt(b.total)} used)`;
      out.dataset.count = String(ans.count);
    } else {
      out.textContent = fmt(ans && ans.count);
      out.dataset.count = String(ans && ans.count);
    }
    out.dataset.expr = expression;
  } catch (e) {
    if (seq !== countSeq) return;
    out.textContent = '–';
    out.dataset.expr = expression;
    showError('segment-error', e);
  }
}

$('segment-save-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = $('segment-name').value.trim();
  const expression = $('segment-expr').value.trim();
  showError('segment-save-error', null);
  $('segment-save-result').textContent = '';
  try {
    const seg = await api('POST', '/api/segments', { name, expression });
    const warnings = Array.isArray(seg && seg.warnings) && seg.warnings.length ? ' · warnings: ' + seg.warnings.join('; ') : '';
    $('segment-save-result').textContent = `saved ${seg.name ?? name} v${fmt(seg.version)}, ${fmt(seg.size)} members${warnings}`;
    const target = '#/segments/' + enc(seg.name ?? name);
    if (location.hash === target) enterSegments(seg.name ?? name); else location.hash = target;
  } catch (e) {
    showError('segment-save-error', e);
  }
});

async function loadSegments() {
  showError('segments-error', null);
  let ans;
  try {
    ans = await api('GET', '/api/segments');
  } catch (e) {
    showError('segments-error', e);
    return;
  }
  const segs = Array.isArray(ans && ans.segments) ? ans.segments : [];
  const when = (ms) => (typeof ms === 'number' ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : fmt(ms));
  setContent('segment-list', segs.length
    ? table(['name', 'version', 'size', 'definition', 'updated'], segs.map((s) => [
      el('a', { href: '#/segments/' + enc(s.name), dataset: { testid: 'segment-link' } }, s.name),
      s.version, s.size, el('code', {}, fmt(s.definition)), when(s.updated_ms)]),
    (i) => ({ dataset: { testid: 'segment-row', name: segs[i].name }, class: segs[i].name === selectedSegment ? 'selected' : '' }))
    : el('p', { class: 'muted' }, 'no segments yet'));
}

function selectSegment(name) {
  selectedSegment = name;
  document.querySelectorAll('#segment-list tr[data-testid="segment-row"]')
    .forEach((tr) => tr.classList.toggle('selected', tr.dataset.name === name));
  loadGroupProfile();
}

$('segments-refresh').addEventListener('click', loadSegments);
$('gp-reload').addEventListener('click', loadGroupProfile);

async function loadGroupProfile() {
  const name = selectedSegment;
  if (!name) return;
  $('gp-title').textContent = '· ' + name;
  showError('gp-error', null);
  disposeCharts('gp-');
  setContent('groupprofile', el('p', { class: 'muted' }, 'loading…'));
  const k = $('gp-k').value.trim();
  const seq = ++gpSeq;
  let gp;
  try {
    gp = await api('GET', `/api/groupprofile?segment=${enc(name)}${k ? '&k=' + enc(k) : ''}`);
  } catch (e) {
    if (seq !== gpSeq) return;
    setContent('groupprofile');
    showError('gp-error', e);
    return;
  }
  if (seq !== gpSeq) return;
  renderGroupProfile(gp || {});
}

function renderGroupProfile(gp) {
  const head = ['size', 'population', 'k', 'epsilon', 'suppressed_cells']
    .filter((f) => gp[f] !== undefined).map((f) => `${f.replace('_', ' ')} ${fmt(gp[f])}`).join(' · ');
  const dims = Array.isArray(gp.dimensions) ? gp.dimensions : [];
  const blocks = dims.map((d, i) => {
    const cells = Array.isArray(d.cells) ? d.cells : [];
    const box = el('div', { class: 'dimension', dataset: { testid: 'gp-dimension', name: d.name } }, el('h4', {}, d.name));
    if (!cells.length) { box.append(el('p', { class: 'muted' }, 'no cells')); return box; }
    const shown = cells.filter((c) => !c.suppressed);
    const suppressed = cells.filter((c) => c.suppressed);
    if (shown.length) {
      const node = el('div', { class: 'chart', id: `gp-chart-${i}`, dataset: { testid: 'gp-chart' },
        style: `height:${40 + 26 * shown.length}px` });
      box.append(node);
      box._chart = { node, shown };
    } else {
      box.append(el('p', { class: 'muted suppressed' }, 'every cell is suppressed'));
    }
    if (suppressed.length) {
      box.append(el('p', { class: 'suppressed', dataset: { testid: 'gp-suppressed' } },
        'suppressed: ', suppressed.map((c) => `${fmt(c.value)} (${c.reason || 'suppressed'})`).join(', ')));
    }
    return box;
  });
  setContent('groupprofile', el('p', { class: 'muted' }, head), el('div', { class: 'grid' }, blocks),
    otherFields(gp, ['size', 'population', 'k', 'epsilon', 'suppressed_cells', 'dimensions']));
  // Charts are drawn once their boxes are in the page (ECharts needs a size).
  for (const box of blocks) {
    if (!box._chart) continue;
    const { node, shown } = box._chart;
    chart(node, {
      animation: false,
      grid: { left: 110, right: 50, top: 10, bottom: 20 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' },
        formatter: (ps) => ps.map((p) => { const c = shown[p.dataIndex];
          return `${fmt(c.value)}: ${fmt(c.count)} (share ${fmt(c.share)}, index ${fmt(c.index)})`; }).join('<br>') },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', inverse: true, data: shown.map((c) => fmt(c.value)),
        axisLabel: { width: 100, overflow: 'truncate' } },
      series: [{ type: 'bar', data: shown.map((c) => countValue(c.count)), itemStyle: { color: '#3a7bd5' },
        label: { show: true, position: 'right', formatter: (p) => `idx ${fmt(shown[p.dataIndex].index)}` } }],
    });
  }
}

// ---------------------------------------------------------------- AIPL funnel

$('funnel-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const q = new URLSearchParams({ brand: $('funnel-brand').value.trim() });
  for (const [param, id] of [['category', 'funnel-category'], ['from', 'funnel-from'], ['at', 'funnel-at']]) {
    const v = $(id).value.trim();
    if (v) q.set(param, v);
  }
  showError('funnel-error', null);
  $('funnel-result').hidden = true;
  disposeCharts('funnel-');
  let f;
  try {
    f = await api('GET', '/api/funnel?' + q.toString());
  } catch (e) {
    showError('funnel-error', e);
    return;
  }
  $('funnel-result').hidden = false;
  renderFunnel(f || {});
});

function renderFunnel(f) {
  const stages = f.stages || {};
  const from = f.from_stages || null;
  const meta = [['brand', f.brand], ['category', f.category], ['from', f.from], ['at', f.at],
    ['population', f.population], ['min group', f.min_group], ['events scanned', f.events_scanned]]
    .filter(([, v]) => v !== undefined && v !== null);
  const windows = f.windows_days ? ' · windows (days): ' + Object.entries(f.windows_days).map(([k, v]) => `${k} ${v}`).join(', ') : '';
  setContent('funnel-meta', el('p', { class: 'muted' }, meta.map(([k, v]) => `${k}: ${fmt(v)}`).join(' · ') + windows));

  setContent('funnel-stages', STAGES.map((s) => el('div', { class: 'card' },
    el('div', { class: 'label' }, s),
    el('div', { class: 'big', id: `funnel-stage-${s}`, dataset: { testid: 'funnel-stage', stage: s } }, fmt(stages[s])),
    from ? el('div', { class: 'muted' }, `from: ${fmt(from[s])}`) : '')));

  chart($('funnel-chart'), {
    animation: false,
    title: { text: 'Stage sizes', subtext: 'grey: suppressed, fewer than k', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, right: 0 },
    grid: { left: 50, right: 20, top: 55, bottom: 30 },
    xAxis: { type: 'category', data: STAGES },
    yAxis: { type: 'value' },
    series: [
      ...(from ? [{ name: 'from', type: 'bar', data: STAGES.map((s) => countBar(from[s], '#9db7e0')), itemStyle: { color: '#9db7e0' },
        label: { show: true, position: 'top', formatter: (p) => fmt(from[STAGES[p.dataIndex]]) } }] : []),
      { name: 'at', type: 'bar', data: STAGES.map((s) => countBar(stages[s], '#3a7bd5')), itemStyle: { color: '#3a7bd5' },
        label: { show: true, position: 'top', formatter: (p) => fmt(stages[STAGES[p.dataIndex]]) } },
    ],
  });

  const flows = f.flows && typeof f.flows === 'object' ? f.flows : null;
  $('funnel-flows-chart').hidden = !flows;
  if (!flows) { setContent('funnel-flows', el('p', { class: 'muted' }, 'set "from" to see the flows between the two dates')); return; }
  const data = [];
  let max = 1;
  FLOW_STAGES.forEach((a, y) => FLOW_STAGES.forEach((b, x) => {
    const v = flows[a] ? flows[a][b] : undefined;
    data.push({ value: [x, y, countValue(v)], raw: v });
    if (a !== 'none' || b !== 'none') max = Math.max(max, countValue(v));
  }));
  chart($('funnel-flows-chart'), {
    animation: false,
    title: { text: 'Flows: from (rows) → at (columns)', textStyle: { fontSize: 13 } },
    tooltip: { formatter: (p) => `${FLOW_STAGES[p.value[1]]} → ${FLOW_STAGES[p.value[0]]}: ${fmt(p.data.raw)}` },
    grid: { left: 80, right: 20, top: 40, bottom: 60 },
    xAxis: { type: 'category', data: FLOW_STAGES, splitArea: { show: true } },
    yAxis: { type: 'category', data: FLOW_STAGES, inverse: true, splitArea: { show: true } },
    visualMap: { min: 0, max, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 80,
      inRange: { color: ['#f4f7fb', '#3a7bd5'] } },
    series: [{ type: 'heatmap', data, label: { show: true, formatter: (p) => fmt(p.data.raw) } }],
  });
  setContent('funnel-flows', el('h4', {}, 'Flows between the two dates'), table(['from \\ at', ...FLOW_STAGES],
    FLOW_STAGES.map((a) => [a, ...FLOW_STAGES.map((b) => (flows[a] ? flows[a][b] : undefined))])),
  otherFields(f, ['brand', 'category', 'at', 'from', 'windows_days', 'min_group', 'population', 'stages', 'from_stages',
    'flows', 'events_scanned']));
}

// ---------------------------------------------------------------- identity explain

$('explain-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const a = $('explain-a').value.trim();
  const b = $('explain-b').value.trim();
  showError('explain-error', null);
  $('explain-result').hidden = true;
  let x;
  try {
    x = await api('GET', `/api/explain?a=${enc(a)}&b=${enc(b)}`);
  } catch (e) {
    showError('explain-error', e);
    return;
  }
  renderExplain(x || {});
  $('explain-result').hidden = false;
});

function renderExplain(x) {
  const answer = $('explain-answer');
  answer.dataset.same = String(!!x.same_person);
  answer.className = x.same_person ? 'yes' : 'no';
  answer.textContent = x.same_person
    ? `Same person: both are OneID ${fmt(x.oneid_a)}.`
    : `Not the same person: OneID ${fmt(x.oneid_a)} and OneID ${fmt(x.oneid_b)}.`;
  const path = Array.isArray(x.path) ? x.path : [];
  const short = (v) => (typeof v === 'string' && v.length > 14 ? v.slice(0, 12) + '…' : fmt(v));
  setContent('explain-path', path.length
    ? [el('h4', {}, x.same_person ? 'Evidence path' : 'Closest path (blocked links shown)'),
      table(['from', 'to', 'evidence', 'source', 'messages', 'first seen', 'last seen', 'blocked by'], path.map((s) => [
        el('span', { title: fmt(s.from) }, `${fmt(s.from_type)} ${short(s.from)} (OneID ${fmt(s.from_oneid)})`),
        el('span', { title: fmt(s.to) }, `${fmt(s.to_type)} ${short(s.to)} (OneID ${fmt(s.to_oneid)})`),
        s.kind, s.source, s.messages, s.first_seen, s.last_seen, s.blocked_by ?? '']),
      (i) => ({ dataset: { testid: 'explain-step' }, class: path[i].blocked_by ? 'blocked' : '' }))]
    : el('p', { class: 'muted' }, x.path_found === false ? 'no evidence path between them' : 'no path'));
  const notes = Array.isArray(x.notes) ? x.notes : [];
  setContent('explain-notes', notes.map((n) => el('li', {}, fmt(n))));
  setContent('explain-other', otherFields(x, ['a', 'b', 'oneid_a', 'oneid_b', 'same_person', 'path_found', 'path', 'notes']));
}

// ---------------------------------------------------------------- start

window.addEventListener('hashchange', route);
route();
