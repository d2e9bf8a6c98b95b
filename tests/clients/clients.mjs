// Real SDK clients against `holo serve` (docs/http_api.md).
//
//   node tests/clients/clients.mjs main     # SDK traffic + raw API checks, writes STATE_FILE
//   node tests/clients/clients.mjs burst    # batches until the server goes away; records the acknowledged ones
//   node tests/clients/clients.mjs verify   # after a restart: same OneID, nothing acknowledged lost
//
// Env: HOLO_URL (http://127.0.0.1:PORT), HOLO_TOKEN (role admin), WRITE_KEY_SEGMENT (source
// "web"), WRITE_KEY_RUDDER (source "taobao"), STATE_FILE (JSON handed from one phase to the next).
// Driven by tests/clients/run_clients_test.sh. Exit code 0 only when every check passed.

import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const HOLO_URL = (process.env.HOLO_URL || '').replace(/\/$/, '');
const TOKEN = process.env.HOLO_TOKEN || '';
const WK_SEGMENT = process.env.WRITE_KEY_SEGMENT || '';
const WK_RUDDER = process.env.WRITE_KEY_RUDDER || '';
const STATE_FILE = process.env.STATE_FILE || '';
const SEGMENT_SOURCE = 'web';
const RUDDER_SOURCE = 'taobao';
const RESOLVE_WAIT_MS = Number(process.env.RESOLVE_WAIT_MS || 20000);

let passed = 0;
let failed = 0;
function check(cond, what, detail) {
  if (cond) {
    passed++;
    console.log(`  ok   ${what}`);
  } else {
    failed++;
    console.log(`  FAIL ${what}${detail === undefined ? '' : ': ' + short(detail)}`);
  }
  return cond;
}
function short(v) {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s && s.length > 600 ? s.slice(0, 600) + '...' : s;
}
function section(title) {
  console.log(`\n== ${title}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const basic = (key) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');

// ---------------------------------------------------------------- HTTP helpers

async function http(method, path, { headers = {}, body, raw = false } = {}) {
  const res = await fetch(HOLO_URL + path, { method, headers, body });
  const text = await res.text();
  let json = null;
  if (!raw) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  return { status: res.status, headers: res.headers, text, json };
}

// POST to the ingestion API. opts: key (Basic user), gzip, contentType.
function ingest(path, payload, { key, gzip = false, extraHeaders = {} } = {}) {
  const headers = { 'Content-Type': 'application/json', ...extraHeaders };
  if (key) headers.Authorization = basic(key);
  let body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
  if (gzip) {
    body = gzipSync(Buffer.from(body));
    headers['Content-Encoding'] = 'gzip';
  }
  return http('POST', path, { headers, body });
}

function api(path, { token = TOKEN } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  return http('GET', path, { headers });
}

const idPath = (type, value) => encodeURIComponent(`${type}:${value}`);

async function profileOf(type, value) {
  const r = await api(`/api/profiles/${idPath(type, value)}`);
  return r.status === 200 && r.json ? r.json : null;
}

// All events of a profile, newest first, following `next`.
async function allEvents(id, maxPages = 200) {
  const out = [];
  let before = null;
  for (let page = 0; page < maxPages; page++) {
    const q = `limit=200${before === null ? '' : `&before=${before}`}`;
    const r = await api(`/api/profiles/${encodeURIComponent(String(id))}/events?${q}`);
    if (r.status !== 200 || !r.json || !Array.isArray(r.json.events)) {
      throw new Error(`GET events of ${id}: ${r.status} ${short(r.text)}`);
    }
    out.push(...r.json.events);
    if (r.json.next === null || r.json.next === undefined || r.json.events.length === 0) break;
    before = r.json.next;
  }
  return out;
}

async function pollUntil(fn, timeoutMs = RESOLVE_WAIT_MS, stepMs = 250) {
  const t0 = Date.now();
  let last;
  for (;;) {
    last = await fn();
    if (last.done) return { ...last, waitedMs: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) return { ...last, waitedMs: Date.now() - t0 };
    await sleep(stepMs);
  }
}

function readState() {
  return JSON.parse(readFileSync(STATE_FILE, 'utf8'));
}
function writeState(s) {
  writeFileSync(STATE_FILE, JSON.stringify(s, null, 2));
}

// ---------------------------------------------------------------- the person

function newPerson() {
  const run = Date.now().toString(36) + randomBytes(3).toString('hex');
  const digits = String(Math.floor(Math.random() * 1e8)).padStart(8, '0');
  return {
    run,
    userWeb: `u-${run}`, // Segment client, source web: user_id@web
    userTaobao: `tb-${run}`, // RudderStack client, source taobao: user_id@taobao
    anonWeb: `a1-${run}`, // anonymous_id@web
    anonTaobao: `a2-${run}`, // anonymous_id@taobao
    anonAlias: `a3-${run}`, // anonymous_id@taobao, linked by an alias only
    phoneRaw: `139 ${digits.slice(0, 4)} ${digits.slice(4)}`, // as typed; CN default country
    phoneE164: `+86139${digits}`,
    emailRaw: `  Holo.Test.${run}@Example.COM `,
    email: `holo.test.${run}@example.com`,
  };
}

// Every identifier of the person as the API addresses it.
function personIds(p) {
  return [
    ['anonymous_id@web', p.anonWeb],
    ['anonymous_id@taobao', p.anonTaobao],
    ['anonymous_id@taobao', p.anonAlias],
    ['user_id@web', p.userWeb],
    ['user_id@taobao', p.userTaobao],
    ['phone', p.phoneE164],
    ['email', p.email],
  ];
}

// ---------------------------------------------------------------- SDK traffic

async function sendWithSegment(p, expected) {
  section(`@segment/analytics-node -> ${HOLO_URL}/v1/batch (source ${SEGMENT_SOURCE})`);
  const seg = new SegmentAnalytics({
    writeKey: WK_SEGMENT,
    host: HOLO_URL,
    path: '/v1/batch',
    flushAt: 3, // small batches: several /v1/batch requests
    flushInterval: 200,
    maxRetries: 3,
    httpRequestTimeout: 10000,
  });
  const requests = [];
  const statuses = [];
  const errors = [];
  seg.on('http_request', (r) => requests.push(JSON.parse(r.body).batch.length));
  seg.on('http_response', (r) => statuses.push(r.status));
  seg.on('error', (e) => errors.push(String(e && (e.reason || e.message || e.code || e))));
  const delivered = [];
  const cb = (what) => (err) => (err ? errors.push(`${what}: ${err.message || err}`) : delivered.push(what));

  const msgs = [
    ['identify', { userId: p.userWeb, anonymousId: p.anonWeb, traits: { phone: p.phoneRaw, email: p.emailRaw, name: 'Holo Test' } }],
    ['track', { anonymousId: p.anonWeb, event: 'Product Viewed', properties: { product_id: 'sku-1', brand: 'Nike', category: 'shoes', price: 499, run: p.run } }],
    ['page', { anonymousId: p.anonWeb, name: 'Home', properties: { path: '/' } }],
    ['track', { userId: p.userWeb, anonymousId: p.anonWeb, event: 'Product Added', properties: { product_id: 'sku-1', brand: 'Nike', category: 'shoes', price: 499 } }],
    ['screen', { anonymousId: p.anonWeb, name: 'Cart' }],
    ['group', { userId: p.userWeb, groupId: `g-${p.run}`, traits: { name: 'Holo Test Co' } }],
  ];
  for (const [type, m] of msgs) {
    seg[type](m, cb(`${type}${m.event ? ' ' + m.event : ''}`));
    console.log(`  sent ${type.padEnd(8)} ${short({ ...m, properties: undefined })}`);
  }
  await seg.closeAndFlush({ timeout: 20000 });
  console.log(`  requests: ${requests.length} (events per request ${requests.join(',')}), statuses ${statuses.join(',')}`);
  check(errors.length === 0, 'Segment SDK reported no delivery error', errors);
  check(delivered.length === msgs.length, `Segment SDK delivered ${delivered.length}/${msgs.length} messages`);
  check(statuses.length > 0 && statuses.every((s) => s === 200), 'every Segment /v1/batch answered 200', statuses);
  expected.push(
    { source: SEGMENT_SOURCE, type: 'track', event: 'Product Viewed' },
    { source: SEGMENT_SOURCE, type: 'track', event: 'Product Added' },
    { source: SEGMENT_SOURCE, type: 'identify' },
    { source: SEGMENT_SOURCE, type: 'page' },
  );
}

async function sendWithRudder(p, expected) {
  section(`@rudderstack/rudder-sdk-node -> ${HOLO_URL}/v1/batch (source ${RUDDER_SOURCE})`);
  const rs = new RudderAnalytics(WK_RUDDER, {
    dataPlaneUrl: HOLO_URL,
    flushAt: 2,
    flushInterval: 200,
    retryCount: 2,
    logLevel: 'error',
  });
  // The SDK posts with its own axios instance: watch the wire through its interceptors.
  const wire = [];
  rs.axiosInstance.interceptors.response.use(
    (res) => {
      wire.push({ status: res.status, encoding: res.config.headers['Content-Encoding'] || 'identity' });
      return res;
    },
    (err) => {
      wire.push({ status: err.response ? err.response.status : err.code, encoding: err.config && err.config.headers['Content-Encoding'] });
      return Promise.reject(err);
    },
  );
  const errors = [];
  const delivered = [];
  const cb = (what) => (err) => (err ? errors.push(`${what}: ${err.message || err}`) : delivered.push(what));

  const msgs = [
    ['identify', { userId: p.userTaobao, anonymousId: p.anonTaobao, traits: { phone: p.phoneRaw } }],
    ['track', { anonymousId: p.anonTaobao, event: 'Products Searched', properties: { query: 'running shoes', category: 'shoes' } }],
    ['alias', { previousId: p.anonAlias, userId: p.userTaobao }],
    ['track', { anonymousId: p.anonAlias, event: 'Product Viewed', properties: { product_id: 'sku-2', brand: 'Adidas', category: 'shoes', price: 599 } }],
    ['track', {
      userId: p.userTaobao,
      event: 'Order Completed',
      properties: {
        order_id: `o-${p.run}`, revenue: 599, currency: 'CNY',
        products: [{ product_id: 'sku-2', brand: 'Adidas', category: 'shoes', price: 599, quantity: 1 }],
      },
    }],
  ];
  for (const [type, m] of msgs) {
    rs[type](m, cb(`${type}${m.event ? ' ' + m.event : ''}`));
    console.log(`  sent ${type.padEnd(8)} ${short({ ...m, properties: undefined })}`);
  }
  // flush() sends at most flushAt messages per call and waits for the request before it.
  for (let i = 0; i < 20 && (rs.queue.length > 0 || delivered.length + errors.length < msgs.length); i++) {
    try {
      await rs.flush();
    } catch (e) {
      errors.push(`flush: ${e.message || e}`);
      break;
    }
    if (rs.queue.length === 0) await sleep(50); // callbacks run on setImmediate
  }
  console.log(`  requests: ${wire.length}, ${wire.map((w) => `${w.status}/${w.encoding}`).join(', ')}`);
  check(errors.length === 0, 'RudderStack SDK reported no delivery error', errors);
  check(delivered.length === msgs.length, `RudderStack SDK delivered ${delivered.length}/${msgs.length} messages`);
  check(wire.length > 0 && wire.every((w) => w.status === 200), 'every RudderStack /v1/batch answered 200', wire);
  check(wire.some((w) => w.encoding === 'gzip' && w.status === 200), 'RudderStack SDK sent gzip bodies (Content-Encoding: gzip) and they were accepted', wire);
  expected.push(
    { source: RUDDER_SOURCE, type: 'track', event: 'Products Searched' },
    { source: RUDDER_SOURCE, type: 'track', event: 'Product Viewed' },
    { source: RUDDER_SOURCE, type: 'track', event: 'Order Completed' },
    { source: RUDDER_SOURCE, type: 'identify' },
  );
}

// ---------------------------------------------------------------- raw contract checks

function isOkAck(r, accepted, duplicates = 0) {
  return r.status === 200 && r.json && r.json.success === true && r.json.accepted === accepted &&
    r.json.duplicates === duplicates && Array.isArray(r.json.rejected);
}

async function rawIngestionChecks(p, expected) {
  section('ingestion API directly (contract: docs/http_api.md)');
  let r;

  const mid = `raw-${p.run}-1`;
  const single = { messageId: mid, anonymousId: p.anonWeb, event: 'Promotion Viewed', properties: { promotion_id: 'pr-1', campaign: 'spring' }, timestamp: new Date().toISOString() };
  r = await ingest('/v1/track', single, { key: WK_SEGMENT });
  check(isOkAck(r, 1), 'POST /v1/track (Basic auth) -> 200 {success:true, accepted:1, duplicates:0, rejected:[]}', [r.status, r.text]);
  expected.push({ source: SEGMENT_SOURCE, type: 'track', event: 'Promotion Viewed' });

  r = await ingest('/v1/track', single, { key: WK_SEGMENT });
  // docs/http_api.md does not say whether "accepted" counts duplicates; either reading passes.
  check(isOkAck(r, 0, 1) || isOkAck(r, 1, 1), 'same messageId again -> 200 duplicates:1 (idempotent; not stored twice)', [r.status, r.text]);

  r = await ingest('/v1/identify', { writeKey: WK_RUDDER, userId: p.userTaobao, traits: { name: 'Holo Test' }, messageId: `raw-${p.run}-2` });
  check(isOkAck(r, 1), 'POST /v1/identify with "writeKey" in the body (no Authorization) -> 200 accepted:1', [r.status, r.text]);

  const gzBatch = {
    batch: [1, 2, 3].map((i) => ({
      type: 'track', messageId: `gz-${p.run}-${i}`, anonymousId: p.anonTaobao, event: 'Promotion Clicked',
      properties: { promotion_id: `pr-${i}`, campaign: 'spring', creative: 'banner' }, timestamp: new Date().toISOString(),
    })),
    context: { library: { name: 'holo-clients-test' } },
  };
  r = await ingest('/v1/batch', gzBatch, { key: WK_RUDDER, gzip: true });
  check(isOkAck(r, 3), 'POST /v1/batch, Content-Encoding: gzip, 3 messages -> 200 accepted:3', [r.status, r.text]);
  for (let i = 0; i < 3; i++) expected.push({ source: RUDDER_SOURCE, type: 'track', event: 'Promotion Clicked' });

  r = await ingest('/v1/batch', '{"batch": [ this is not json', { key: WK_SEGMENT });
  check(r.status === 400 && r.json && r.json.success === false && r.json.code === 'invalid_request' && typeof r.json.message === 'string',
    'body that is not JSON -> 400 {success:false, code:"invalid_request", message}', [r.status, r.text]);

  r = await ingest('/v1/track', { anonymousId: p.anonWeb, messageId: `bad-${p.run}-1` }, { key: WK_SEGMENT });
  check(r.status === 400 && r.json && r.json.success === false && r.json.code === 'invalid_request',
    'track without "event" -> 400 invalid_request', [r.status, r.text]);

  r = await ingest('/v1/batch', {
    batch: [
      { type: 'track', messageId: `mix-${p.run}-0`, anonymousId: p.anonWeb, event: 'Coupon Redeemed', properties: { coupon_id: 'c-1' } },
      { type: 'track', messageId: `mix-${p.run}-1`, anonymousId: p.anonWeb },
      { type: 'page', messageId: `mix-${p.run}-2`, anonymousId: p.anonWeb, name: 'Checkout' },
    ],
  }, { key: WK_SEGMENT });
  check(r.status === 200 && r.json && r.json.success === true && r.json.accepted === 2 &&
    Array.isArray(r.json.rejected) && r.json.rejected.length === 1 && r.json.rejected[0].index === 1 &&
    r.json.rejected[0].messageId === `mix-${p.run}-1` && typeof r.json.rejected[0].error === 'string',
  'batch with one invalid message -> 200 accepted:2 rejected:[{index:1, messageId, error}]', [r.status, r.text]);
  expected.push({ source: SEGMENT_SOURCE, type: 'track', event: 'Coupon Redeemed' }, { source: SEGMENT_SOURCE, type: 'page' });

  r = await ingest('/v1/batch', { batch: [{ type: 'track', anonymousId: 'x', event: 'E' }] });
  check(r.status === 401, 'no write key -> 401', [r.status, r.text]);
  r = await ingest('/v1/batch', { batch: [{ type: 'track', anonymousId: 'x', event: 'E' }] }, { key: 'not-a-write-key' });
  check(r.status === 401, 'unknown write key -> 401', [r.status, r.text]);

  const big = 'x'.repeat(40 * 1024);
  r = await ingest('/v1/track', { anonymousId: p.anonWeb, event: 'Too Big', properties: { blob: big } }, { key: WK_SEGMENT });
  check(r.status === 413, 'one message over 32 KB -> 413', [r.status, r.text]);
  const many = { batch: Array.from({ length: 30 }, (_, i) => ({ type: 'track', anonymousId: p.anonWeb, event: 'Too Big', messageId: `big-${p.run}-${i}`, properties: { blob: 'y'.repeat(20 * 1024) } })) };
  r = await ingest('/v1/batch', many, { key: WK_SEGMENT });
  check(r.status === 413, 'request over 500 KB -> 413', [r.status, r.text]);
  r = await ingest('/v1/batch', many, { key: WK_SEGMENT, gzip: true });
  check(r.status === 413, 'request over 500 KB after gzip decompression (~10 KB on the wire) -> 413', [r.status, r.text]);
}

async function rawApiChecks(p) {
  section('profile API: credentials and errors');
  let r = await api(`/api/profiles/${idPath('anonymous_id@web', p.anonWeb)}`, { token: '' });
  check(r.status === 401 && r.json && r.json.error && typeof r.json.error.code === 'string',
    'GET /api/profiles/{id} without a token -> 401 {error:{code,message}}', [r.status, r.text]);
  r = await api(`/api/profiles/${idPath('anonymous_id@web', p.anonWeb)}`, { token: 'not-a-token' });
  check(r.status === 401, 'GET /api/profiles/{id} with an unknown token -> 401', [r.status, r.text]);
  r = await http('GET', `/api/profiles/${idPath('anonymous_id@web', p.anonWeb)}`, { headers: { Authorization: basic(WK_SEGMENT) } });
  check(r.status === 401 || r.status === 403, 'a write key is no API credential -> 401/403', [r.status, r.text]);
  r = await api(`/api/profiles/${idPath('anonymous_id@web', `never-seen-${p.run}`)}`);
  check(r.status === 404 && r.json && r.json.error && r.json.error.code === 'not_found',
    'unknown identifier -> 404 {error:{code:"not_found"}}', [r.status, r.text]);
}

// ---------------------------------------------------------------- resolution checks

// Waits until every identifier of the person maps to one OneID and every expected event is on it.
async function checkResolved(p, expected, label, wantOneid) {
  section(`${label}: GET /api/profiles/... (polling up to ${RESOLVE_WAIT_MS / 1000} s for the background resolve)`);
  const ids = personIds(p);
  const need = countBy(expected);
  const res = await pollUntil(async () => {
    const oneids = [];
    for (const [t, v] of ids) {
      const prof = await profileOf(t, v);
      oneids.push(prof ? prof.oneid : null);
    }
    const same = oneids[0] !== null && oneids.every((o) => String(o) === String(oneids[0]));
    if (!same) return { done: false, oneids };
    let events;
    try {
      events = await allEvents(oneids[0]);
    } catch (e) {
      return { done: false, oneids, err: String(e) };
    }
    const have = countBy(events);
    const missing = Object.keys(need).filter((k) => (have[k] || 0) < need[k]);
    return { done: missing.length === 0, oneids, events, missing, have };
  });
  console.log(`  waited ${(res.waitedMs / 1000).toFixed(1)} s`);
  ids.forEach(([t, v], i) => console.log(`  ${`${t}:${v}`.padEnd(48)} -> oneid ${res.oneids[i]}`));
  const oneid = res.oneids[0];
  check(oneid !== null && oneid !== undefined && res.oneids.every((o) => String(o) === String(oneid)),
    'the anonymous ids of both clients, both accounts, the phone (E.164) and the email (lower-cased) are one OneID', res.oneids);
  if (wantOneid !== undefined) check(String(oneid) === String(wantOneid), `OneID is stable across the restart (${wantOneid})`, oneid);
  if (res.err) check(false, 'events of the OneID readable', res.err);
  if (res.events) {
    const bySource = {};
    for (const e of res.events) bySource[e.source] = (bySource[e.source] || 0) + 1;
    console.log(`  events on oneid ${oneid}: ${res.events.length} ${JSON.stringify(bySource)}`);
    check(bySource[SEGMENT_SOURCE] > 0 && bySource[RUDDER_SOURCE] > 0, `the profile holds events of both sources (${SEGMENT_SOURCE}, ${RUDDER_SOURCE})`, bySource);
    check(res.missing.length === 0, `every acknowledged event is on the profile (${expected.length} expected)`, { missing: res.missing, have: res.have });
    const e0 = res.events[0];
    check(e0 && ['seq', 'timestamp', 'source', 'type'].every((k) => k in e0), 'events carry seq, timestamp, source, type', e0);
    const seqs = res.events.map((e) => Number(e.seq));
    check(seqs.every((s, i) => i === 0 || s < seqs[i - 1]), 'events are newest first (seq descending)', seqs.slice(0, 20));
  }
  if (oneid !== null && oneid !== undefined) {
    const r = await api(`/api/profiles/${encodeURIComponent(String(oneid))}`);
    const prof = r.json && r.json.profile;
    check(r.status === 200 && String(r.json.oneid) === String(oneid) && prof && typeof prof === 'object' && Array.isArray(r.json.segments),
      `GET /api/profiles/${oneid} -> {oneid, profile, segments}`, [r.status, r.text]);
    if (prof && prof.identifiers) {
      const types = Object.keys(prof.identifiers);
      check(['anonymous_id@web', 'anonymous_id@taobao', 'user_id@web', 'user_id@taobao', 'phone', 'email'].every((t) => types.includes(t)),
        'profile.identifiers has web and taobao anonymous ids and accounts, phone, email', types);
    }
    if (prof && prof.sources) check(prof.sources.includes(SEGMENT_SOURCE) && prof.sources.includes(RUDDER_SOURCE), 'profile.sources has web and taobao', prof.sources);
    const t = await api(`/api/profiles/${idPath('anonymous_id@taobao', p.anonAlias)}/traits?names=spending_power,home_city,consent_marketing`);
    check(t.status === 200 && t.json && String(t.json.oneid) === String(oneid) && t.json.traits && typeof t.json.traits === 'object',
      'GET /api/profiles/{alias id}/traits?names=... -> {oneid (same), traits}', [t.status, t.text]);
    if (t.json && t.json.traits) {
      check(['spending_power', 'home_city', 'consent_marketing'].every((k) => k in t.json.traits) && Object.keys(t.json.traits).length === 3,
        'traits answer has exactly the names asked for', t.json.traits);
    }
  }
  return oneid;
}

function countBy(events) {
  const c = {};
  for (const e of events) {
    const k = `${e.source}/${e.type}${e.type === 'track' ? '/' + e.event : ''}`;
    c[k] = (c[k] || 0) + 1;
  }
  return c;
}

// ---------------------------------------------------------------- phases

async function phaseMain() {
  const p = newPerson();
  console.log(`run ${p.run}: one person, seen by two SDKs on two sources`);
  console.log(`  Segment (web):      userId ${p.userWeb}, anonymousId ${p.anonWeb}, phone "${p.phoneRaw}", email "${p.emailRaw}"`);
  console.log(`  RudderStack (taobao): userId ${p.userTaobao}, anonymousId ${p.anonTaobao}, alias ${p.anonAlias} -> ${p.userTaobao}, phone "${p.phoneRaw}"`);
  const expected = [];
  await sendWithSegment(p, expected);
  await sendWithRudder(p, expected);
  await rawIngestionChecks(p, expected);
  await rawApiChecks(p);
  const oneid = await checkResolved(p, expected, 'resolution');
  writeState({ person: p, expected, oneid });
}

// Sends batches of 10 from 4 concurrent loops until the server stops answering (the test sends
// SIGTERM meanwhile) and records which were acknowledged with a 2xx.
async function phaseBurst() {
  const st = readState();
  const anon = `burst-${st.person.run}`;
  let n = 0;
  const acked = [];
  const statuses = {};
  let sentBatches = 0;
  let startedWritten = false;
  const deadline = Date.now() + Number(process.env.BURST_MAX_MS || 20000);
  const loop = async () => {
    while (Date.now() < deadline) {
      const ns = Array.from({ length: 10 }, () => n++);
      const batch = ns.map((i) => ({ type: 'track', messageId: `${anon}-${i}`, anonymousId: anon, event: 'Burst', properties: { n: i } }));
      let r;
      try {
        r = await ingest('/v1/batch', { batch }, { key: WK_SEGMENT });
      } catch {
        return; // connection refused or reset: the server is gone
      }
      sentBatches++;
      statuses[r.status] = (statuses[r.status] || 0) + 1;
      if (r.status >= 200 && r.status < 300) {
        acked.push(...ns);
        if (!startedWritten && process.env.BURST_STARTED_FILE) {
          writeFileSync(process.env.BURST_STARTED_FILE, 'started\n');
          startedWritten = true;
        }
      }
    }
  };
  await Promise.all([loop(), loop(), loop(), loop()]);
  console.log(`burst: ${sentBatches} batches answered ${JSON.stringify(statuses)}; ${acked.length} events acknowledged; stopped by ${Date.now() < deadline ? 'connection failure' : 'deadline'}`);
  st.burst = { anon, acked };
  writeState(st);
  if (acked.length === 0) {
    console.log('  FAIL burst: nothing was acknowledged');
    process.exitCode = 1;
  }
}

async function phaseVerify() {
  const st = readState();
  console.log(`run ${st.person.run}: verifying after restart (OneID before: ${st.oneid})`);
  await checkResolved(st.person, st.expected, 'after restart', st.oneid);
  if (st.burst) {
    section(`acknowledged burst events after SIGTERM + restart (anonymous_id@web:${st.burst.anon})`);
    const res = await pollUntil(async () => {
      const prof = await profileOf('anonymous_id@web', st.burst.anon);
      return { done: prof !== null, prof };
    });
    let stored = new Set();
    if (check(res.prof !== null, 'burst identifier resolves after restart')) {
      const events = await allEvents(res.prof.oneid, 1000);
      stored = new Set(events.filter((e) => e.event === 'Burst' && e.properties).map((e) => Number(e.properties.n)));
    }
    const lost = st.burst.acked.filter((n) => !stored.has(n));
    console.log(`  acknowledged ${st.burst.acked.length}, stored ${stored.size}, acknowledged but missing ${lost.length}`);
    check(lost.length === 0, 'nothing acknowledged was lost', lost.slice(0, 20));
  }
}

async function main() {
  const phase = process.argv[2] || 'main';
  for (const [k, v] of Object.entries({ HOLO_URL, HOLO_TOKEN: TOKEN, WRITE_KEY_SEGMENT: WK_SEGMENT, WRITE_KEY_RUDDER: WK_RUDDER, STATE_FILE })) {
    if (!v) throw new Error(`env ${k} is required`);
  }
  if (phase === 'main') await phaseMain();
  else if (phase === 'burst') return phaseBurst();
  else if (phase === 'verify') await phaseVerify();
  else throw new Error(`unknown phase ${phase}`);
  console.log(`\n${phase}: ${passed} passed, ${failed} failed`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((e) => {
  console.error(`clients: ${e.stack || e}`);
  process.exit(2);
});

