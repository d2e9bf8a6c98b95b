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

// A time as "2026-10-31 14:05" (UTC): epoch milliseconds or an ISO-8601 string.
function fmtTime(v) {
  let ms = null;
  if (typeof v === 'number' && v > 1e11) ms = v;
  else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) ms = Date.parse(v);
  if (ms === null || Number.isNaN(ms)) return fmt(v);
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

function timeMs(v) {
  if (typeof v === 'number') return v;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? 0 : ms;
}

// What a view shows instead of an empty chart or table.
function emptyState(text) { return el('p', { class: 'empty', dataset: { testid: 'empty-state' } }, text); }

function pct(share) { return typeof share === 'number' ? (share * 100).toFixed(1) + '%' : '–'; }

// Readable trait names: "spend_90d" -> "Spend, 90 days"; the registry's `how` is the tooltip.
const traitInfo = new Map();
let traitInfoLoaded = null;

function loadTraitInfo() {
  if (!traitInfoLoaded) {
    traitInfoLoaded = api('GET', '/api/traits').then((ans) => {
      for (const t of (ans && Array.isArray(ans.traits) ? ans.traits : [])) traitInfo.set(t.name, t);
    }).catch(() => { traitInfoLoaded = null; });
  }
  return traitInfoLoaded;
}

function traitLabel(name) {
  const t = traitInfo.get(name);
  if (t && t.label) return t.label;
  const words = [];
  let window = '';
  for (const w of String(name).split('_')) {
    const m = w.match(/^(\d+)([dhm])$/);
    if (m) window = `${m[1]} ${{ d: 'days', h: 'hours', m: 'months' }[m[2]]}`;
    else if (w) words.push(w);
  }
  const text = words.join(' ');
  const head = text.charAt(0).toUpperCase() + text.slice(1);
  return window ? `${head}, ${window}` : head;
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

// A chart follows its box: a box that changes size (a neighbour shown or hidden, the window)
// resizes its chart, so a canvas is never wider or taller than its box.
const chartResizer = new ResizeObserver((entries) => {
  const nodes = entries.map((e) => e.target);
  requestAnimationFrame(() => nodes.forEach((n) => {
    const c = echarts.getInstanceByDom(n);
    if (c && !c.isDisposed()) c.resize();
  }));
});

function chart(node, option) {
  const key = node.id || node.dataset.chartKey;
  if (charts[key]) { chartResizer.unobserve(charts[key].getDom()); charts[key].dispose(); }
  charts[key] = echarts.init(node);
  charts[key].setOption(option);
  chartResizer.observe(node);
  return charts[key];
}

function disposeCharts(prefix) {
  for (const k of Object.keys(charts)) {
    if (k.startsWith(prefix)) { chartResizer.unobserve(charts[k].getDom()); charts[k].dispose(); delete charts[k]; }
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

const views = {
  search: enterSearch, segments: enterSegments, funnel: () => {}, explain: () => {},
  campaigns: () => {}, consent: enterConsent, audit: loadAudit, ingest: loadIngestHealth,
  destinations: loadDestinations, stores: enterStores,
};

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
let profileEvents = [];

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
  setContent('search-empty');
  $('profile').hidden = true;
  disposeCharts('profile-');
  let answer;
  try {
    [answer] = await Promise.all([api('GET', `/api/profiles/${enc(id)}`), loadTraitInfo()]);
  } catch (e) {
    if (e.status === 404) setContent('search-empty', emptyState(`No person found for "${id}".`));
    else showError('search-error', e);
    return;
  }
  renderProfile(answer || {});
  $('profile').hidden = false;
  loadPeople(id);
  loadRecommendations(id);
  setContent('profile-events');
  profileEvents = [];
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
  const summary = [['sources', fmt(p.sources)], ['first seen', fmtTime(p.first_seen)], ['last seen', fmtTime(p.last_seen)],
    ['as of', fmtTime(p.as_of)]].filter(([, v]) => v !== '–');
  setContent('profile-summary', el('p', { class: 'muted' }, summary.map(([k, v]) => `${k}: ${v}`).join(' · ')));

  // Segments.
  const segs = Array.isArray(answer.segments) ? answer.segments : [];
  setContent('profile-segments', segs.length
    ? segs.map((s) => el('a', { class: 'chip', href: '#/segments/' + enc(s), dataset: { testid: 'profile-segment' } }, s))
    : el('span', { class: 'muted' }, 'in no segment'));

  // Traits with provenance.
  const traits = p.traits || {};
  const meta = p.trait_meta || {};
  // Nulls (and empty lists) are not shown; times are formatted; names are readable.
  const present = Object.entries(traits).filter(([, v]) => v !== null && v !== undefined && v !== '' &&
    !(Array.isArray(v) && !v.length));
  const names = present.map(([name]) => name);
  const traitRows = present.map(([name, value]) => {
    const m = meta[name] || {};
    const conf = typeof m.confidence === 'number'
      ? el('span', { class: 'conf' }, el('span', { class: 'bar', style: `width:${(m.confidence * 4).toFixed(2)}em` }), fmt(m.confidence))
      : '–';
    const how = traitInfo.get(name)?.how;
    return [el('span', { title: how ? `${name}: ${how}` : name }, traitLabel(name)), fmtTime(value),
      m.sources ?? '–', m.events ?? '–', conf];
  });
  setContent('profile-traits', traitRows.length
    ? table(['trait', 'value', 'sources', 'events', 'confidence'], traitRows,
      (i) => ({ dataset: { testid: 'trait-row', trait: names[i] } }))
    : emptyState('no traits'));

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

// ---------------------------------------------------------------- recommendations (360 view)

let recModel = null;  // GET /api/recommend/model, once a model is trained
let recSeq = 0;

// The model's description and its domains (the domain selector); asked again while untrained.
async function loadRecModel() {
  if (recModel && recModel.trained) return recModel;
  try {
    recModel = (await api('GET', '/api/recommend/model')) || { trained: false };
  } catch (e) {
    recModel = null;
    return null;
  }
  const select = $('recs-domain');
  const keep = select.value;
  const domains = Array.isArray(recModel.domains) ? recModel.domains : [];
  select.replaceChildren(el('option', { value: '' }, 'all domains'),
    ...domains.map((d) => el('option', { value: d }, d)));
  if (domains.includes(keep)) select.value = keep;
  $('recs-model').textContent = recModel.trained
    ? `model ${fmt(recModel.algo)}${recModel.describe ? ` (${recModel.describe})` : ''}, trained ${fmtTime(recModel.trained_at)}` +
      ` · ${fmt(recModel.users)} people · ${fmt(recModel.items)} items`
    : '';
  return recModel;
}

async function loadRecommendations(id) {
  const seq = ++recSeq;
  showError('recs-error', null);
  const box = $('profile-recs');
  // What the box shows, for whom and of which domain (data-state: items, not-allowed, no-model,
  // empty or error; unset while loading).
  delete box.dataset.state;
  box.dataset.for = id;
  box.dataset.domain = $('recs-domain').value;
  setContent('profile-recs', el('p', { class: 'muted' }, 'loading…'));
  await loadRecModel();
  if (seq !== recSeq || id !== currentProfileId) return;
  const q = new URLSearchParams();
  const k = $('recs-k').value.trim();
  if (k) q.set('k', k);
  if ($('recs-domain').value) q.set('domain', $('recs-domain').value);
  let ans;
  try {
    ans = await api('GET', `/api/profiles/${enc(id)}/recommendations?${q}`);
  } catch (e) {
    if (seq !== recSeq) return;
    if (e.status === 409) {
      // No model yet: what to run, and the server's own words.
      box.dataset.state = 'no-model';
      setContent('profile-recs', el('p', { class: 'empty', dataset: { testid: 'recs-no-model' } },
        'No model trained yet (run ', el('code', {}, 'holo recommend train --data DATA'),
        ' with the server stopped). ', el('span', { class: 'muted' }, e.message.replace(/^\d+: /, ''))));
      return;
    }
    box.dataset.state = 'error';
    setContent('profile-recs');
    showError('recs-error', e);
    return;
  }
  if (seq !== recSeq) return;
  ans = ans || {};
  const items = Array.isArray(ans.items) ? ans.items : [];
  if (ans.allowed === false) {
    box.dataset.state = 'not-allowed';
    setContent('profile-recs', el('p', { class: 'empty', dataset: { testid: 'recs-not-allowed' } },
      'Not allowed: no consent to personalization. This person\'s consent withholds the recommendation use, ' +
      'so none of their events were read.'));
    return;
  }
  if (!items.length) {
    box.dataset.state = 'empty';
    setContent('profile-recs', el('p', { class: 'empty', dataset: { testid: 'recs-empty' } },
      `No recommendations${ans.domain ? ` in ${ans.domain}` : ''}.`));
    return;
  }
  box.dataset.state = 'items';
  setContent('profile-recs',
    ans.personalized === false
      ? el('p', { class: 'muted', dataset: { testid: 'recs-popular' } },
        'Not personalized: the model knows none of this person\'s items, so these are the most popular ones.')
      : '',
    table(['item', 'domain', 'because', 'score'], items.map((r) => [
      el('span', { title: fmt(r.item) }, fmt(r.label || r.item)), r.domain, r.because || '–', r.score]),
    (i) => ({ dataset: { testid: 'rec-row', item: String(items[i].item ?? '') } })),
    otherFields(ans, ['oneid', 'domain', 'allowed', 'personalized', 'model', 'items']));
}

$('recs-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (currentProfileId) loadRecommendations(currentProfileId);
});
$('recs-domain').addEventListener('change', () => { if (currentProfileId) loadRecommendations(currentProfileId); });

async function loadEvents(id, before) {
  showError('events-error', null);
  $('events-more').hidden = true;
  let ans;
  try {
    // By event time over all of the person's events, paged with the server's cursor.
    const q = before === null ? '' : `&cursor=${enc(String(before))}`;
    ans = await api('GET', `/api/profiles/${enc(id)}/events?order=time&limit=20${q}`);
  } catch (e) {
    showError('events-error', e);
    return;
  }
  if (id !== currentProfileId) return;
  profileEvents.push(...(Array.isArray(ans && ans.events) ? ans.events : []));
  // Pages arrive in order; the sort keeps the list right if an event arrived between pages.
  profileEvents.sort((a, b) => timeMs(b.timestamp) - timeMs(a.timestamp) || (b.seq ?? 0) - (a.seq ?? 0));
  renderEvents();
  eventsNext = ans && ans.next !== undefined && ans.next !== null ? ans.next : null;
  $('events-more').hidden = eventsNext === null;
}

function renderEvents() {
  const rows = profileEvents.map((e) => {
    const props = e.properties && typeof e.properties === 'object' ? e.properties : {};
    const short = Object.entries(props).slice(0, 4).map(([k, v]) => `${k}=${fmt(v)}`).join(' ');
    return el('tr', { dataset: { testid: 'event-row', seq: String(e.seq ?? ''), ts: String(timeMs(e.timestamp)) } },
      el('td', {}, fmtTime(e.timestamp)), el('td', {}, fmt(e.source)), el('td', {}, fmt(e.type)),
      el('td', {}, fmt(e.event)),
      el('td', {}, el('details', {}, el('summary', {}, short.length > 90 ? short.slice(0, 90) + '…' : short || '–'),
        el('pre', {}, JSON.stringify(props, null, 1)))));
  });
  if (!rows.length) {
    $('profile-timeline').hidden = true;
    setContent('profile-events', emptyState('no events'));
    return;
  }
  const t = table(['time', 'source', 'type', 'event', 'properties'], []);
  t.querySelector('tbody').append(...rows);
  setContent('profile-events', t);
  // The timeline: one dot per event, a row per source.
  const sources = [...new Set(profileEvents.map((e) => fmt(e.source)))].sort();
  $('profile-timeline').hidden = false;
  chart($('profile-timeline'), {
    animation: false,
    title: { text: `Timeline of the ${profileEvents.length} events shown`, textStyle: { fontSize: 13 } },
    tooltip: { formatter: (p) => `${fmtTime(p.value[0])} · ${p.data.source} · ${p.data.event}` },
    grid: { left: 110, right: 30, top: 35, bottom: 30 },
    xAxis: { type: 'time' },
    yAxis: { type: 'category', data: sources, axisLabel: { width: 100, overflow: 'truncate' } },
    series: [{ type: 'scatter', symbolSize: 9, itemStyle: { color: '#3a7bd5', opacity: 0.75 },
      data: profileEvents.map((e) => ({ value: [timeMs(e.timestamp), fmt(e.source)], source: fmt(e.source),
        event: fmt(e.event ?? e.type) })) }],
  });
}

$('events-more').addEventListener('click', () => loadEvents(currentProfileId, eventsNext));

// ---------------------------------------------------------------- segment builder

let countTimer = null;
let countSeq = 0;
let selectedSegment = '';
let gpSeq = 0;
const segmentSizes = new Map();  // name -> members, from GET /api/segments

async function enterSegments(name) {
  loadTraitRegistry();
  await loadSegments();
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
  for (const sg of segs) segmentSizes.set(sg.name, sg.size);
  fillLookalikeSeeds(segs);
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
  if (segmentSizes.get(name) === 0) {
    setContent('groupprofile', emptyState(`Segment ${name} has no members: there is no group profile to show.`));
    return;
  }
  setContent('groupprofile', el('p', { class: 'muted' }, 'loading…'));
  const k = $('gp-k').value.trim();
  const seq = ++gpSeq;
  let gp;
  try {
    gp = await api('GET', `/api/groupprofile?segment=${enc(name)}${k ? '&k=' + enc(k) : ''}`);
  } catch (e) {
    if (seq !== gpSeq) return;
    if (e.status === 409 && /fewer than k|differs from an earlier/.test(e.message)) {
      // Too small a group (or too close to an earlier one): the rule, as a message.
      setContent('groupprofile', emptyState(`No group profile for ${name}: ${e.message.replace(/^\d+: /, '')}`));
      return;
    }
    setContent('groupprofile');
    showError('gp-error', e);
    return;
  }
  if (seq !== gpSeq) return;
  renderGroupProfile(gp || {});
}

// "idx 104 · 23.5%": the index and the share, both over the people who have a value; the
// unknown cell (no index) shows its share of the whole group.
function gpLabel(c) {
  if (c.index === undefined) return `${pct(c.share)} of all`;
  return `idx ${Math.round(c.index)} · ${pct(c.share)}`;
}

function renderGroupProfile(gp) {
  const head = ['size', 'population', 'k', 'epsilon', 'suppressed_cells']
    .filter((f) => gp[f] !== undefined).map((f) => `${f.replace('_', ' ')} ${fmt(gp[f])}`).join(' · ');
  const dims = Array.isArray(gp.dimensions) ? gp.dimensions : [];
  const blocks = dims.map((d, i) => {
    const cells = Array.isArray(d.cells) ? d.cells : [];
    const box = el('div', { class: 'dimension', dataset: { testid: 'gp-dimension', name: d.name } },
      el('h4', { title: d.name }, d.name === 'segments' ? 'Other segments' : traitLabel(d.name)));
    if (!cells.length) { box.append(el('p', { class: 'muted' }, 'no cells')); return box; }
    const shown = cells.filter((c) => !c.suppressed);
    const suppressed = cells.filter((c) => c.suppressed);
    if (shown.length) {
      const node = el('div', { class: 'chart', id: `gp-chart-${i}`,
        dataset: { testid: 'gp-chart', labels: JSON.stringify(shown.map(gpLabel)) },
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
      grid: { left: 110, right: 115, top: 10, bottom: 20 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' },
        formatter: (ps) => ps.map((p) => { const c = shown[p.dataIndex];
          return c.index === undefined
            ? `${fmt(c.value)}: ${fmt(c.count)} (${pct(c.share)} of the group)`
            : `${fmt(c.value)}: ${fmt(c.count)} (${pct(c.share)} of those with a value, index ${fmt(c.index)})`;
        }).join('<br>') },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', inverse: true, data: shown.map((c) => fmt(c.value)),
        axisLabel: { width: 100, overflow: 'truncate' } },
      series: [{ type: 'bar', data: shown.map((c) => countValue(c.count)), itemStyle: { color: '#3a7bd5' },
        label: { show: true, position: 'right', formatter: (p) => gpLabel(shown[p.dataIndex]) } }],
    });
  }
}

// ---------------------------------------------------------------- look-alike builder

// The seed picker: the saved segments (the one chosen stays chosen across reloads).
function fillLookalikeSeeds(segs) {
  const select = $('lal-seed-segment');
  const keep = select.value;
  select.replaceChildren(el('option', { value: '' }, '— an expression —'),
    ...segs.map((sg) => el('option', { value: sg.name }, `${sg.name} (${fmt(sg.size)})`)));
  if (segs.some((sg) => sg.name === keep)) select.value = keep;
  $('lal-seed-expr').disabled = !!select.value;
}

$('lal-seed-segment').addEventListener('change', () => {
  $('lal-seed-expr').disabled = !!$('lal-seed-segment').value;
});

function lookalikeExcluded() {
  return $('lal-exclude').value.split(/[\s,]+/).map((t) => t.trim()).filter(Boolean);
}

$('lal-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const seed = $('lal-seed-segment').value || $('lal-seed-expr').value.trim();
  const sizeText = $('lal-size').value.trim();
  const body = { seed, size: sizeText === '' ? 0 : Number(sizeText) };
  const name = $('lal-name').value.trim();
  if (name) body.name = name;
  const excluded = lookalikeExcluded();
  if (excluded.length) body.exclude_traits = excluded;
  showError('lal-error', null);
  $('lal-result').hidden = true;
  setContent('lal-result');
  $('lal-run').disabled = true;
  $('lal-status').textContent = 'scoring every profile…';
  let r;
  try {
    r = await api('POST', '/api/lookalikes', body);
  } catch (e) {
    $('lal-status').textContent = '';
    showError('lal-error', e);
    return;
  } finally {
    $('lal-run').disabled = false;
  }
  r = r || {};
  $('lal-status').textContent = r.name ? `saved as segment ${r.name}` : 'report only (no name: nothing saved)';
  renderLookalike(r);
  $('lal-result').hidden = false;
  if (r.name) await loadSegments();
});

// A share that may be tiny (a look-alike's base rate): two significant digits under 1%.
function pctFine(share) {
  if (typeof share !== 'number') return '–';
  return share > 0 && share < 0.01 ? (share * 100).toPrecision(2) + '%' : pct(share);
}

function ratio(a, b) { return typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null; }

function renderLookalike(r) {
  const card = (label, big, sub, testid) => el('div', { class: 'card' },
    el('div', { class: 'label' }, label), el('div', { class: 'big', dataset: { testid } }, big),
    sub ? el('div', { class: 'muted' }, sub) : '');
  const lift = ratio(r.expected_precision, r.base_rate);
  const seedSub = `${fmt(r.population)} profiles` +
    (r.seed_without_profile ? ` · ${fmt(r.seed_without_profile)} members without a profile` : '');
  const nodes = [];
  if (r.warning) nodes.push(el('p', { class: 'warning', dataset: { testid: 'lal-warning' } }, 'Warning: ', r.warning));
  if (r.name) {
    nodes.push(el('p', { dataset: { testid: 'lal-saved' } }, 'Saved as segment ',
      el('a', { href: '#/segments/' + enc(r.name) }, r.name), ` with ${fmt(r.size)} members.`));
  }
  nodes.push(el('div', { class: 'cards' },
    card('seed members', fmt(r.seed_members), seedSub, 'lal-seed-members'),
    card('audience', fmt(r.size), `${fmt(r.features)} features`, 'lal-size-shown'),
    card('expected precision', pctFine(r.expected_precision),
      (Array.isArray(r.expected_precision_range) ? `95% range ${pctFine(r.expected_precision_range[0])}–${pctFine(r.expected_precision_range[1])} · ` : '') +
      `base rate ${pctFine(r.base_rate)}${lift !== null ? ` · ${lift.toFixed(1)}× a random audience` : ''}`, 'lal-precision'),
    card('held-out AUC', fmt(r.holdout_auc), r.seed_separable === false ? 'no better than chance' : '0.5 is chance',
      'lal-auc'),
    card('recall', pct(r.recall_of_held_out_members), 'of held-out seed members', 'lal-recall')));
  const curve = Array.isArray(r.curve) ? r.curve : [];
  if (curve.length) {
    nodes.push(el('h4', {}, 'Expected precision and recall by audience size'), curveSvg(curve, r.size, r.base_rate),
      table(['size', 'expected precision', '95% range', 'recall'], curve.map((c) => [c.size, pctFine(c.expected_precision),
        typeof c.low === 'number' ? `${pctFine(c.low)}–${pctFine(c.high)}` : '', pctFine(c.recall)]),
        (i) => ({ dataset: { testid: 'lal-curve-row', size: String(curve[i].size) },
          class: curve[i].size === r.size ? 'selected' : '' })));
  }
  const feats = Array.isArray(r.top_features) ? r.top_features : [];
  if (feats.length) {
    nodes.push(el('h4', {}, 'Top features'), table(['feature', 'weight', ''], feats.map((f) => {
      // "city=Hangzhou" comes from the trait city; "source=taobao" from the profile's sources.
      const head = String(f.feature ?? '').split('=')[0];
      const trait = head === 'source' ? 'sources' : head;
      const leave = el('button', { type: 'button', class: 'small', title: `leave ${trait} out of the next run` }, 'leave out');
      leave.addEventListener('click', () => {
        const now = lookalikeExcluded();
        if (!now.includes(trait)) $('lal-exclude').value = [...now, trait].join(', ');
      });
      return [el('code', {}, fmt(f.feature)), f.weight, leave];
    }), () => ({ dataset: { testid: 'lal-feature-row' } })));
  }
  nodes.push(otherFields(r, ['seed', 'seed_members', 'seed_without_profile', 'population', 'size', 'name', 'features',
    'holdout_auc', 'seed_separable', 'base_rate', 'expected_precision', 'expected_precision_range',
    'recall_of_held_out_members', 'curve', 'top_features', 'warning']));
  setContent('lal-result', ...nodes);
}

// A small inline chart: expected precision (solid) and recall (dashed) against the audience
// size, the base rate as a grey line and the size asked for as a dot. Built with DOM calls.
function curveSvg(curve, size, baseRate) {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 440, H = 170, L = 40, R = 12, T = 10, B = 28;
  const svg = document.createElementNS(NS, 'svg');
  const node = (tag, attrs, text) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    svg.append(n);
    return n;
  };
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', 'curve');
  svg.dataset.testid = 'lal-curve';
  const maxX = Math.max(1, ...curve.map((c) => c.size || 0));
  const x = (v) => L + (W - L - R) * (v / maxX);
  const y = (v) => T + (H - T - B) * (1 - Math.max(0, Math.min(1, v || 0)));
  for (const t of [0, 0.5, 1]) {
    node('line', { x1: L, x2: W - R, y1: y(t), y2: y(t), stroke: '#e3e8ee' });
    node('text', { x: L - 4, y: y(t) + 4, 'text-anchor': 'end', 'font-size': 10, fill: '#6b7a8c' }, `${t * 100}%`);
  }
  node('text', { x: L, y: H - 6, 'font-size': 10, fill: '#6b7a8c' }, '0');
  node('text', { x: W - R, y: H - 6, 'text-anchor': 'end', 'font-size': 10, fill: '#6b7a8c' }, `${fmt(maxX)} people`);
  if (typeof baseRate === 'number') {
    node('line', { x1: L, x2: W - R, y1: y(baseRate), y2: y(baseRate), stroke: '#9aa5b1', 'stroke-dasharray': '2 3' });
  }
  const pts = (k) => curve.filter((c) => typeof c[k] === 'number').map((c) => `${x(c.size).toFixed(1)},${y(c[k]).toFixed(1)}`).join(' ');
  node('polyline', { points: pts('expected_precision'), fill: 'none', stroke: '#3a7bd5', 'stroke-width': 2 });
  node('polyline', { points: pts('recall'), fill: 'none', stroke: '#f0ad4e', 'stroke-width': 2, 'stroke-dasharray': '5 3' });
  const at = curve.find((c) => c.size === size);
  if (at) node('circle', { cx: x(at.size), cy: y(at.expected_precision), r: 4, fill: '#1d4f9a' });
  const legend = el('div', { class: 'muted legend' }, el('span', { class: 'key precision' }), 'expected precision ',
    el('span', { class: 'key recall' }), 'recall of held-out members ', el('span', { class: 'key base' }), 'base rate');
  return el('div', { class: 'curve-box' }, svg, legend);
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
  setContent('funnel-empty');
  $('funnel-result').hidden = true;
  disposeCharts('funnel-');
  let f;
  try {
    f = await api('GET', '/api/funnel?' + q.toString());
  } catch (e) {
    if (e.status === 404) setContent('funnel-empty', emptyState(`No funnel for brand "${q.get('brand')}": ${e.message}`));
    else showError('funnel-error', e);
    return;
  }
  if (funnelIsEmpty(f || {})) {
    setContent('funnel-empty', emptyState(`No one is in the funnel of brand "${q.get('brand')}"` +
      `${q.get('category') ? ' in ' + q.get('category') : ''}: no events name it in these windows. Check the brand's spelling.`));
    return;
  }
  $('funnel-result').hidden = false;
  renderFunnel(f || {});
});

// A funnel with nobody in any stage (an unknown brand): a message, not four empty bars.
function funnelIsEmpty(f) {
  const zero = (st) => !st || STAGES.every((s) => st[s] === 0 || st[s] === undefined || st[s] === null);
  return zero(f.stages) && zero(f.from_stages);
}

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

  const flows = f.flows && typeof f.flows === 'object' ? f.flows : null;
  // Both boxes take their final size before ECharts measures them: shown or hidden, the flows
  // chart decides how wide the stage chart's column is (the second run with a From date).
  $('funnel-flows-chart').hidden = !flows;
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
        s.kind, s.source, s.messages, fmtTime(s.first_seen), fmtTime(s.last_seen), s.blocked_by ?? '']),
      (i) => ({ dataset: { testid: 'explain-step' }, class: path[i].blocked_by ? 'blocked' : '' }))]
    : el('p', { class: 'muted' }, x.path_found === false ? 'no evidence path between them' : 'no path'));
  const notes = Array.isArray(x.notes) ? x.notes : [];
  setContent('explain-notes', notes.map((n) => el('li', {}, fmt(n))));
  setContent('explain-other', otherFields(x, ['a', 'b', 'oneid_a', 'oneid_b', 'same_person', 'path_found', 'path', 'notes']));
}

// ---------------------------------------------------------------- campaigns

$('campaign-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = $('campaign-name').value.trim();
  showError('campaign-error', null);
  setContent('campaign-empty');
  $('campaign-result').hidden = true;
  disposeCharts('campaign-');
  let c;
  try {
    c = await api('GET', `/api/campaigns/${enc(name)}`);
  } catch (e) {
    if (e.status === 404) setContent('campaign-empty', emptyState(`No campaign named "${name}": ${e.message}`));
    else showError('campaign-error', e);
    return;
  }
  c = c || {};
  if (c.exposed_total === 0 || (c.exposed && c.exposed.n === 0 && c.exposed_total === undefined)) {
    setContent('campaign-empty', emptyState(`No one was exposed to campaign "${name}" (no Promotion Viewed names it).`));
    return;
  }
  $('campaign-result').hidden = false;
  renderCampaign(c);
});

function renderCampaign(c) {
  const ex = c.exposed || {};
  const ctl = c.control || {};
  $('campaign-meta').textContent = [`brand ${fmt(c.brand)}`, c.category ? `category ${c.category}` : '',
    `${fmtTime(c.start)} → ${fmtTime(c.end)}`, `horizon ${fmt(c.horizon_days)} days`, `${fmt(c.strata)} strata`,
    `min group ${fmt(c.min_group)}`].filter(Boolean).join(' · ');
  const lift = typeof c.lift_pp === 'number'
    ? `${c.lift_pp >= 0 ? '+' : ''}${c.lift_pp.toFixed(2)} pp` : 'not shown';
  const ci = Array.isArray(c.ci95_pp) ? `95% CI ${c.ci95_pp.map((x) => x.toFixed(2)).join(' … ')}` : 'groups under k';
  const card = (label, big, sub, testid) => el('div', { class: 'card', dataset: { testid: testid || 'campaign-card' } },
    el('div', { class: 'label' }, label), el('div', { class: 'big' }, big), sub ? el('div', { class: 'muted' }, sub) : '');
  setContent('campaign-cards',
    card('exposed', fmt(ex.n), `of ${fmt(c.exposed_total)} exposed · ${fmt(ex.buyers)} bought`),
    card('control', fmt(ctl.n), `of ${fmt(c.control_pool)} in the pool · ${fmt(ctl.buyers)} bought`),
    card('bought (exposed)', pct(ex.rate), 'within the horizon'),
    card('bought (control)', pct(ctl.rate), 'stratified'),
    card('lift', lift, ci, 'campaign-lift'));
  const rates = [ex.rate, ctl.rate];
  if (rates.some((r) => typeof r !== 'number') || rates.every((r) => r === 0)) {
    $('campaign-chart').hidden = true;
    setContent('campaign-empty', emptyState(rates.every((r) => r === 0)
      ? `Nobody in either group bought ${fmt(c.brand)} within ${fmt(c.horizon_days)} days of the (pseudo) exposure: no lift to draw.`
      : 'A group is smaller than the minimum group size: its rate is not shown.'));
    return;
  }
  $('campaign-chart').hidden = false;
  chart($('campaign-chart'), {
    animation: false,
    title: { text: `Bought ${fmt(c.brand)} within ${fmt(c.horizon_days)} days`, textStyle: { fontSize: 13 } },
    grid: { left: 60, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: ['exposed', 'control'] },
    yAxis: { type: 'value', axisLabel: { formatter: (v) => (v * 100).toFixed(1) + '%' } },
    series: [{ type: 'bar', barWidth: '40%', data: [
      { value: ex.rate, itemStyle: { color: '#3a7bd5' } }, { value: ctl.rate, itemStyle: { color: '#9db7e0' } }],
    label: { show: true, position: 'top', formatter: (p) => pct(p.value) } }],
  });
}

// ---------------------------------------------------------------- consent

function enterConsent(id) {
  if (id) { $('consent-id').value = id; showConsent(id); }
}

$('consent-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const id = $('consent-id').value.trim();
  if (!id) return;
  const target = '#/consent/' + enc(id);
  if (location.hash === target) showConsent(id); else location.hash = target;
});

async function showConsent(id) {
  showError('consent-error', null);
  setContent('consent-empty');
  $('consent-result').hidden = true;
  let c;
  try {
    c = await api('GET', `/api/profiles/${enc(id)}/consent`);
  } catch (e) {
    if (e.status === 404) setContent('consent-empty', emptyState(`No person found for "${id}".`));
    else showError('consent-error', e);
    return;
  }
  c = c || {};
  const purposes = Object.entries(c.purposes || {});
  const yes = (v) => el('span', { class: v ? 'ok' : 'bad' }, v ? 'given' : 'not given');
  setContent('consent-purposes', purposes.length
    ? table(['purpose', 'state', 'decided', 'at', 'source'], purposes.map(([p, x]) =>
      [p, yes(x.given), x.decided ? 'yes' : 'no (the policy default)', fmtTime(x.at), x.source ?? '–']),
    () => ({ dataset: { testid: 'consent-row' } }))
    : emptyState('no purposes'));
  const history = Array.isArray(c.history) ? [...c.history].reverse() : [];
  setContent('consent-history', history.length
    ? table(['at', 'purpose', 'decision', 'source', 'identifier'], history.map((h) =>
      [fmtTime(h.at), h.purpose, yes(h.given), h.source ?? '–', h.identifier_type ?? '–']))
    : emptyState('no decisions recorded: every purpose follows the policy default'));
  $('consent-result').hidden = false;
}

// ---------------------------------------------------------------- audit log

$('audit-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadAudit(); });

async function loadAudit() {
  showError('audit-error', null);
  const limit = $('audit-limit').value.trim() || '50';
  let a;
  try {
    a = await api('GET', `/api/audit?limit=${enc(limit)}`);
  } catch (e) {
    showError('audit-error', e);
    return;
  }
  const entries = Array.isArray(a && a.entries) ? a.entries : [];
  $('audit-meta').textContent = `${entries.length} newest of ${fmt(a.total)} entries · chain ${a.intact ? 'intact' : 'BROKEN'}`;
  $('audit-meta').className = a.intact ? 'muted' : 'bad';
  setContent('audit-entries', entries.length
    ? table(['time', 'who', 'role', 'action', 'target', 'status'], entries.map((e) =>
      [fmtTime(e.ts), e.token, e.role, e.action, el('code', {}, fmt(e.target)),
        el('span', { class: e.status >= 400 ? 'bad' : '' }, fmt(e.status))]),
    () => ({ dataset: { testid: 'audit-row' } }))
    : emptyState('the audit log is empty'));
}

// ---------------------------------------------------------------- ingestion health

async function loadIngestHealth() {
  showError('ingest-error', null);
  disposeCharts('ingest-');
  let h;
  try {
    h = await api('GET', '/api/admin/ingest-health');
  } catch (e) {
    showError('ingest-error', e);
    return;
  }
  h = h || {};
  const sources = Array.isArray(h.sources) ? h.sources : [];
  const sum = (k) => sources.reduce((n, s) => n + (s[k] || 0), 0);
  const card = (label, value, cls) => el('div', { class: 'card' }, el('div', { class: 'label' }, label),
    el('div', { class: 'big ' + (cls || ''), dataset: { testid: 'ingest-' + label.replace(/ /g, '-') } }, fmt(value)));
  setContent('ingest-cards', card('accepted', sum('accepted')), card('rejected', sum('rejected'), sum('rejected') ? 'bad' : ''),
    card('dead letters', h.dead_letters, h.dead_letters ? 'bad' : ''), card('queue depth', h.queue_depth));
  $('ingest-note').textContent = h.note || '';
  if (!sources.length) {
    $('ingest-chart').hidden = true;
    setContent('ingest-sources', emptyState('No events have reached this server through /v1 since it started.'));
    return;
  }
  setContent('ingest-sources', table(['source', 'accepted', 'rejected', 'rejected %'], sources.map((s) =>
    [s.source, s.accepted, s.rejected, pct(s.accepted + s.rejected ? s.rejected / (s.accepted + s.rejected) : 0)]),
  (i) => ({ dataset: { testid: 'ingest-row', source: sources[i].source } })));
  $('ingest-chart').hidden = false;
  chart($('ingest-chart'), {
    animation: false,
    title: { text: 'Events per source since the server started', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0, right: 0 },
    grid: { left: 110, right: 30, top: 40, bottom: 30 },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: sources.map((s) => s.source), axisLabel: { width: 100, overflow: 'truncate' } },
    series: [
      { name: 'accepted', type: 'bar', stack: 'n', data: sources.map((s) => s.accepted), itemStyle: { color: '#3a7bd5' } },
      { name: 'rejected', type: 'bar', stack: 'n', data: sources.map((s) => s.rejected), itemStyle: { color: '#d9534f' } },
    ],
  });
}

// ---------------------------------------------------------------- offline stores

let storesLoaded = false;
let storeLoadSeq = 0;  // the newest request wins: an older answer arriving late is dropped

async function enterStores() {
  showError('stores-error', null);
  if (storesLoaded) return;
  let list;
  try {
    list = await api('GET', '/api/stores');
  } catch (e) {
    showError('stores-error', e);
    return;
  }
  const stores = Array.isArray(list && list.stores) ? list.stores : [];
  setContent('stores-select', stores.map((st) => el('option', { value: st.store }, `${st.store} (${fmt(st.observations)} observations)`)));
  storesLoaded = true;
  if (!stores.length) {
    $('stores-result').hidden = true;
    setContent('stores-empty', emptyState('No store has data yet. Import sensor files with `holo stores import --data DIR --store ID FILE...`.'));
    return;
  }
  setContent('stores-empty');
  loadStore();
}

$('stores-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadStore(); });

function rangeQuery() {
  const q = [];
  if ($('stores-from').value.trim()) q.push('from=' + enc($('stores-from').value.trim()));
  if ($('stores-to').value.trim()) q.push('to=' + enc($('stores-to').value.trim()));
  return q.join('&');
}

async function loadStore() {
  const id = $('stores-select').value;
  if (!id) return;
  showError('stores-error', null);
  disposeCharts('stores-');
  const range = rangeQuery();
  const seq = ++storeLoadSeq;
  let m, occ, link;
  try {
    [m, occ, link] = await Promise.all([
      api('GET', `/api/stores/${enc(id)}/metrics${range ? '?' + range : ''}`),
      api('GET', `/api/stores/${enc(id)}/occupancy?interval=15m${range ? '&' + range : ''}`).catch(() => null),
      api('GET', `/api/stores/${enc(id)}/link-rate${range ? '?' + range : ''}`).catch(() => null),
    ]);
  } catch (e) {
    if (seq !== storeLoadSeq) return;
    showError('stores-error', e);
    $('stores-result').hidden = true;
    return;
  }
  if (seq !== storeLoadSeq) return;
  const t = m.total || {};
  if (!t.visits && !t.passers_by) {
    $('stores-result').hidden = true;
    setContent('stores-empty', emptyState('No visits or passers-by in this range.'));
    return;
  }
  setContent('stores-empty');
  $('stores-result').hidden = false;
  const d = m.definitions || {};
  $('stores-meta').textContent = `visitor at ≥ ${d.rssi_min_dbm} dBm · a visit ends after ${d.visit_gap_s / 60} min unseen · ` +
    `visitors stay ≥ ${d.min_visit_s / 60} min` + (m.withheld && m.withheld.length ? ` · ${m.withheld.length} cells withheld (under k)` : '');
  const card = (label, value) => el('div', { class: 'card' }, el('div', { class: 'label' }, label),
    el('div', { class: 'big', dataset: { testid: 'stores-' + label.replace(/[^a-z]+/g, '-') } }, value));
  setContent('stores-cards', card('visits', fmt(t.visits)), card('visitors', fmt(t.visitors)), card('passers-by', fmt(t.passers_by)),
    card('capture rate', pct(t.capture_rate)), card('bounce rate', pct(t.bounce_rate)),
    card('returning', pct(t.returning_share)),
    t.median_dwell_min !== undefined ? card('median dwell', `${fmt(t.median_dwell_min)} min`) : '',
    t.peak_hour !== undefined && t.peak_hour !== null ? card('peak hour', `${t.peak_hour}:00`) : '',
    link ? card('link rate', pct(link.link_rate)) : '');

  // Footfall by hour and day.
  const days = [...new Set((m.heatmap || []).map((c) => c.date))];
  const hours = [...Array(24).keys()];
  chart($('stores-heatmap'), {
    animation: false,
    title: { text: 'Footfall: visits by hour and day', textStyle: { fontSize: 13 } },
    tooltip: { position: 'top' },
    grid: { left: 90, right: 20, top: 40, bottom: 90 },
    xAxis: { type: 'category', data: hours.map((h) => h + ':00'), splitArea: { show: true } },
    yAxis: { type: 'category', data: days, splitArea: { show: true } },
    visualMap: { min: 0, max: Math.max(1, ...(m.heatmap || []).map((c) => c.visits || 0)), calculable: true,
      orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 140, itemWidth: 12 },
    series: [{ type: 'heatmap', data: (m.heatmap || []).filter((c) => c.visits !== null)
      .map((c) => [c.hour, days.indexOf(c.date), c.visits]) }],
  });
  // People present.
  const wins = (occ && occ.windows) || [];
  chart($('stores-occupancy'), {
    animation: false,
    title: { text: 'People present (15-minute windows)', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis' },
    grid: { left: 50, right: 20, top: 40, bottom: 40 },
    xAxis: { type: 'category', data: wins.map((w) => w.start.replace('T', ' ').slice(0, 16)) },
    yAxis: { type: 'value', name: 'people' },
    series: [{ type: 'line', showSymbol: false, data: wins.map((w) => w.estimate), areaStyle: { opacity: 0.2 } }],
  });
  // Capture and bounce over time.
  const perDay = m.days || [];
  chart($('stores-rates'), {
    animation: false,
    title: { text: 'Capture and bounce rates by day', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis', valueFormatter: (v) => pct(v) },
    legend: { bottom: 0 },
    grid: { left: 50, right: 20, top: 40, bottom: 55 },
    xAxis: { type: 'category', data: perDay.map((x) => x.date) },
    yAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v) => Math.round(v * 100) + '%' } },
    series: [
      { name: 'capture rate', type: 'line', data: perDay.map((x) => x.capture_rate) },
      { name: 'bounce rate', type: 'line', data: perDay.map((x) => x.bounce_rate) },
    ],
  });
  // Dwell histogram.
  const dw = t.dwell || {};
  chart($('stores-dwell'), {
    animation: false,
    title: { text: 'Dwell: visits by length', textStyle: { fontSize: 13 } },
    tooltip: {},
    grid: { left: 50, right: 20, top: 40, bottom: 30 },
    xAxis: { type: 'category', data: ['≤ 3 min', '3–15 min', '≥ 15 min'] },
    yAxis: { type: 'value' },
    series: [{ type: 'bar', data: [dw.le_3m, dw['3_15m'], dw.ge_15m], itemStyle: { color: '#3a7bd5' } }],
  });
  // New vs returning visitors.
  chart($('stores-returning'), {
    animation: false,
    title: { text: 'New and returning visitors by day', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { bottom: 0 },
    grid: { left: 50, right: 20, top: 40, bottom: 55 },
    xAxis: { type: 'category', data: perDay.map((x) => x.date) },
    yAxis: { type: 'value' },
    series: [
      { name: 'new', type: 'bar', stack: 'v', data: perDay.map((x) => (x.visitors ?? 0) - (x.returning ?? 0)) },
      { name: 'returning', type: 'bar', stack: 'v', data: perDay.map((x) => x.returning ?? 0) },
    ],
  });
  // Zone flows: a Sankey from "zone" (left) to "→ zone" (right), so moves back and forth stay acyclic.
  const flows = (m.flows || []).filter((f) => f.moves);
  const flowsNode = $('stores-flows');
  if (!flows.length) {
    flowsNode.replaceChildren(emptyState('No zone-to-zone moves: zones come from beacons and zone-tagged sensors.'));
    return;
  }
  const names = new Set();
  flows.forEach((f) => { names.add(f.from); names.add('→ ' + f.to); });
  chart(flowsNode, {
    animation: false,
    title: { text: 'Zone flows within visits', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'item' },
    series: [{ type: 'sankey', top: 40, bottom: 10, left: 10, right: 90, emphasis: { focus: 'adjacency' },
      data: [...names].map((n) => ({ name: n })),
      links: flows.map((f) => ({ source: f.from, target: '→ ' + f.to, value: f.moves })) }],
  });
}

// ---------------------------------------------------------------- destinations

$('destinations-reload').addEventListener('click', () => loadDestinations());

function interval(seconds) {
  if (!seconds) return 'only when asked';
  return seconds % 60 ? `every ${seconds} s` : `every ${seconds / 60} min`;
}

async function syncDestination(name, button) {
  button.disabled = true;
  $('destinations-meta').textContent = `syncing ${name}…`;
  try {
    const r = await api('POST', `/api/destinations/${enc(name)}/sync`);
    const segs = (r && r.destinations && r.destinations[0] && r.destinations[0].segments) || [];
    const sum = (k) => segs.reduce((n, s) => n + (s[k] || 0), 0);
    const errors = segs.filter((s) => s.error).map((s) => `${s.segment}: ${s.error}`);
    await loadDestinations();
    $('destinations-meta').textContent = `${name} synced: ${sum('entered')} entered, ${sum('exited')} exited, ` +
      `${sum('failures')} failed attempts` + (errors.length ? ` · ${errors.join('; ')}` : '');
  } catch (e) {
    showError('destinations-error', e);
  } finally {
    button.disabled = false;
  }
}

async function loadDestinations() {
  showError('destinations-error', null);
  disposeCharts('destinations-');
  let list;
  try {
    list = await api('GET', '/api/destinations');
  } catch (e) {
    showError('destinations-error', e);
    return;
  }
  const configs = Array.isArray(list && list.destinations) ? list.destinations : [];
  if (!configs.length) {
    $('destinations-chart').hidden = true;
    setContent('destinations-list', emptyState('No destinations yet. Add one with `holo destination add NAME ' +
      '--webhook URL --segment SEGMENT` or POST /api/destinations.'));
    return;
  }
  // One status read per destination (the API's status of one name).
  const statuses = await Promise.all(configs.map((d) =>
    api('GET', '/api/destinations/' + enc(d.name)).then((s) => (s && s.destinations && s.destinations[0]) || null)
      .catch((e) => ({ error: e.message }))));
  const rows = [];
  const attrs = [];
  configs.forEach((d, i) => {
    const st = statuses[i] || {};
    const segs = Array.isArray(st.segments) ? st.segments : d.segments.map((segment) => ({ segment }));
    segs.forEach((s, j) => {
      const button = el('button', { type: 'button', dataset: { testid: 'destination-sync', destination: d.name } }, 'Sync now');
      button.addEventListener('click', () => syncDestination(d.name, button));
      const pending = s.pending ? `#${s.pending.seq}: ${s.pending.entered} in, ${s.pending.exited} out, ` +
        `${s.pending.attempts} attempts` : '–';
      rows.push([j ? '' : el('strong', {}, d.name), j ? '' : `${d.kind} ${d.url || d.path || ''}`,
        j ? '' : interval(d.sync_interval_s), s.segment, d.use,
        s.lag === null || s.lag === undefined ? (s.segment_error || st.error || '–') : s.lag,
        s.synced_members, s.sent, s.failures, s.dead_lettered,
        s.last_success ? fmtTime(s.last_success) : 'never', pending,
        s.last_error ? el('span', { class: 'bad' }, s.last_error) : '–', j ? '' : button]);
      attrs.push({ dataset: { testid: 'destination-row', destination: d.name, segment: s.segment } });
    });
  });
  setContent('destinations-list', table(['destination', 'target', 'sync', 'segment', 'use', 'lag', 'members',
    'sent', 'failed attempts', 'dead-lettered', 'last success', 'pending batch', 'last error', ''], rows, (i) => attrs[i]));
  const labels = [];
  const series = { sent: [], failures: [], dead_lettered: [], lag: [] };
  configs.forEach((d, i) => ((statuses[i] && statuses[i].segments) || []).forEach((s) => {
    labels.push(`${d.name} · ${s.segment}`);
    for (const k of Object.keys(series)) series[k].push(s[k] || 0);
  }));
  $('destinations-chart').hidden = !labels.length;
  if (!labels.length) return;
  chart($('destinations-chart'), {
    animation: false,
    title: { text: 'Audience events per destination and segment', textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 24, left: 0 },
    grid: { left: 160, right: 30, top: 60, bottom: 30 },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: labels, axisLabel: { width: 150, overflow: 'truncate' } },
    series: [
      { name: 'sent', type: 'bar', data: series.sent, itemStyle: { color: '#3a7bd5' } },
      { name: 'lag', type: 'bar', data: series.lag, itemStyle: { color: '#f0ad4e' } },
      { name: 'failed attempts', type: 'bar', data: series.failures, itemStyle: { color: '#d9534f' } },
      { name: 'dead-lettered', type: 'bar', data: series.dead_lettered, itemStyle: { color: '#6c2a2a' } },
    ],
  });
}

// ---------------------------------------------------------------- start

window.addEventListener('hashchange', route);
route();
