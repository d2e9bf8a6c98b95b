// Browser SDKs against `holo serve` (docs/http_api.md, "Browsers"): @segment/analytics-next
// and @rudderstack/analytics-js, loaded by a page on a second loopback origin, in headless
// Chromium (playwright-core from web/node_modules). Checks through the admin API that what
// the SDKs sent landed (events, names, properties, user ids), and that a page whose origin
// no write key allows is refused, visibly.
//
// Env: HOLO_URL (http://127.0.0.1:PORT), HOLO_TOKEN (role admin), CHROMIUM (default
// /usr/bin/chromium). Driven by tests/browser/run_browser_test.sh; exit code 0 only when
// every check passed.
import path from 'node:path';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { startPageServer } from './page_server.mjs';

const here = path.dirname(new URL(import.meta.url).pathname);
const { chromium } = createRequire(path.join(here, '../../web/package.json'))('playwright-core');

const HOLO_URL = (process.env.HOLO_URL || '').replace(/\/$/, '');
const TOKEN = process.env.HOLO_TOKEN || '';
if (!HOLO_URL || !TOKEN) {
  console.error('browser.mjs: set HOLO_URL and HOLO_TOKEN');
  process.exit(2);
}
const run = Date.now().toString(36) + randomBytes(3).toString('hex');
let passed = 0;
let failed = 0;
function check(cond, what, detail) {
  if (cond) { passed++; console.log(`  ok   ${what}`); } else {
    failed++;
    console.log(`  FAIL ${what}${detail === undefined ? '' : `: ${JSON.stringify(detail).slice(0, 600)}`}`);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function api(method, p, body) {
  const res = await fetch(HOLO_URL + p, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, text, json, headers: res.headers };
}

// The events of the person `type:value` once `want` (event or page names) are all there.
async function eventsOf(type, value, want, timeoutMs = 20000) {
  const t0 = Date.now();
  let events = [];
  for (;;) {
    const prof = await api('GET', `/api/profiles/${encodeURIComponent(`${type}:${value}`)}`);
    if (prof.status === 200) {
      const r = await api('GET', `/api/profiles/${prof.json.oneid}/events?limit=200`);
      events = (r.json && r.json.events) || [];
      const names = events.map((e) => e.event);
      if (want.every((w) => names.includes(w))) return events;
    }
    if (Date.now() - t0 > timeoutMs) return events;
    await sleep(250);
  }
}
const find = (events, name) => events.find((e) => e.event === name) || {};

// ---------------------------------------------------------------- setup
const shop = await startPageServer();      // the origin the write keys allow
const stranger = await startPageServer();  // an origin no write key allows
console.log(`browser.mjs: holo ${HOLO_URL}, shop page ${shop.origin}, unlisted page ${stranger.origin}`);

const keys = {};
for (const [source, origins] of [['browser-next', [shop.origin]], ['browser-rudder', [shop.origin]], ['legacy', []]]) {
  const r = await api('POST', '/api/admin/writekeys', { source, allowedOrigins: origins });
  check(r.status === 201 && r.json.writeKey && JSON.stringify(r.json.allowedOrigins) === JSON.stringify(origins),
    `POST /api/admin/writekeys ${source} allowedOrigins ${JSON.stringify(origins)} -> 201`, [r.status, r.text]);
  keys[source] = r.json && r.json.writeKey;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const seen = [];  // every request the pages made to holo: method, path, status
// Waits (up to `ms`) until every one of `wanted` is among the answers the pages have seen.
async function waitSeen(wanted, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until && !wanted.every((w) => seen.includes(w))) await new Promise((r) => setTimeout(r, 50));
}
async function openPage(origin) {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log(`  [page console] ${m.text().slice(0, 300)}`); });
  page.on('response', (r) => {
    if (r.url().startsWith(HOLO_URL)) seen.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
  });
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => window.AnalyticsNext && window.rudderanalytics && window.segmentScenario);
  return page;
}

try {
  // ------------------------------------------------ @segment/analytics-next
  console.log('== @segment/analytics-next: identify, page, track, group (POST /v1/i, /v1/p, /v1/t, /v1/g)');
  let page = await openPage(shop.origin);
  const segAnon = `seg-anon-${run}`;
  const segUser = `seg-user-${run}`;
  const ctxs = await page.evaluate((a) => window.segmentScenario(a),
    { writeKey: keys['browser-next'], holoUrl: HOLO_URL, anonymousId: segAnon, userId: segUser });
  check(ctxs.length === 4 && ctxs.every((c) => c.failed === null), 'analytics-next delivered every call (no failed delivery)', ctxs);
  let ev = await eventsOf('user_id@browser-next', segUser, ['Product Viewed', 'Home']);
  check(ev.length >= 4, `4 events landed for user_id@browser-next:${segUser}`, ev.map((e) => [e.type, e.event]));
  check(ev.every((e) => e.source === 'browser-next'), 'all in source browser-next', ev.map((e) => e.source));
  check(find(ev, 'Product Viewed').properties && find(ev, 'Product Viewed').properties.sku === 'sku-42' &&
    find(ev, 'Product Viewed').properties.price === 12.5, 'track Product Viewed with properties {sku, price}', find(ev, 'Product Viewed'));
  check(find(ev, 'Home').type === 'page', 'page Home landed as a page', find(ev, 'Home'));
  check(['identify', 'group'].every((t) => ev.some((e) => e.type === t)), 'identify and group landed', ev.map((e) => e.type));
  const prof = await api('GET', `/api/profiles/${encodeURIComponent(`anonymous_id@browser-next:${segAnon}`)}`);
  const prof2 = await api('GET', `/api/profiles/${encodeURIComponent(`user_id@browser-next:${segUser}`)}`);
  check(prof.status === 200 && prof2.status === 200 && prof.json.oneid === prof2.json.oneid,
    'the anonymousId and the userId are one person', [prof.status, prof2.status, prof.json && prof.json.oneid, prof2.json && prof2.json.oneid]);

  console.log('== analytics-next batching with keepalive (POST /v1/b) and a bare navigator.sendBeacon (POST /v1/t, text/plain)');
  const batchAnon = `seg-batch-${run}`;
  await page.evaluate((a) => window.segmentBatchScenario(a), { writeKey: keys['browser-next'], holoUrl: HOLO_URL, anonymousId: batchAnon });
  ev = await eventsOf('anonymous_id@browser-next', batchAnon, ['Added To Cart', 'Checkout Started']);
  check(find(ev, 'Added To Cart').properties && find(ev, 'Added To Cart').properties.quantity === 2 && find(ev, 'Checkout Started').event,
    'the keepalive batch landed (Added To Cart {quantity: 2}, Checkout Started)', ev.map((e) => [e.event, e.properties]));
  const beaconAnon = `beacon-${run}`;
  const queued = await page.evaluate((a) => window.beaconScenario(a), { writeKey: keys['browser-next'], holoUrl: HOLO_URL, anonymousId: beaconAnon });
  check(queued === true, 'navigator.sendBeacon queued the beacon', queued);
  ev = await eventsOf('anonymous_id@browser-next', beaconAnon, ['Page Left']);
  check(find(ev, 'Page Left').properties && find(ev, 'Page Left').properties.seconds === 31, 'the beacon landed (Page Left {seconds: 31})', ev);

  console.log('== refusals a page can see');
  let r = await page.evaluate((a) => window.refusedScenario(a), { writeKey: keys.legacy, holoUrl: HOLO_URL, anonymousId: `legacy-${run}` });
  check(r.status === 403 && r.body.includes('does not allow origin'),
    'a write key that allows no origin (as keys made before origins) is refused: 403 naming the origin, readable by the page', r);
  await page.close();
  page = await openPage(stranger.origin);
  r = await page.evaluate((a) => window.refusedScenario(a), { writeKey: keys['browser-next'], holoUrl: HOLO_URL, anonymousId: `stranger-${run}` });
  check(r.error && !r.status, 'an origin no write key allows: the browser refuses the answer (CORS), the POST is refused 403', r);
  await page.close();

  // ------------------------------------------------ @rudderstack/analytics-js
  console.log('== @rudderstack/analytics-js: identify, page, track (POST /v1/identify, /v1/page, /v1/track)');
  page = await openPage(shop.origin);
  const rsAnon = `rs-anon-${run}`;
  const rsUser = `rs-user-${run}`;
  await page.evaluate((a) => window.rudderScenario(a), { writeKey: keys['browser-rudder'], holoUrl: HOLO_URL, anonymousId: rsAnon, userId: rsUser });
  ev = await eventsOf('user_id@browser-rudder', rsUser, ['Order Completed', 'Cart']);
  check(find(ev, 'Order Completed').properties && find(ev, 'Order Completed').properties.total === 99.5,
    'track Order Completed {total: 99.5} landed', ev.map((e) => [e.type, e.event, e.properties]));
  check(find(ev, 'Cart').type === 'page' && ev.some((e) => e.type === 'identify'), 'page Cart and identify landed', ev.map((e) => [e.type, e.event]));
  // The events can be stored before the page has seen holo's answers: let them arrive before
  // the page closes, so that the wire check below sees every request the SDK made.
  await waitSeen(['POST /v1/track 200', 'POST /v1/identify 200', 'POST /v1/page 200'], 10000);
  await page.close();

  console.log('== @rudderstack/analytics-js with useBeacon (navigator.sendBeacon to /beacon/v1/batch?writeKey=...)');
  page = await openPage(shop.origin);
  const rbAnon = `rs-beacon-${run}`;
  await page.evaluate((a) => window.rudderScenario(a), { writeKey: keys['browser-rudder'], holoUrl: HOLO_URL, anonymousId: rbAnon, useBeacon: true });
  ev = await eventsOf('anonymous_id@browser-rudder', rbAnon, ['Wishlist Added']);
  check(find(ev, 'Wishlist Added').properties && find(ev, 'Wishlist Added').properties.sku === 'sku-9',
    'the beacon batch landed (Wishlist Added {sku: sku-9})', ev);
  await page.close();

  // ------------------------------------------------ what the browser did on the wire
  const wire = [...new Set(seen)].sort();
  console.log(`  requests to holo: ${wire.join(' | ')}`);
  // (Preflights are not shown to the page: run_browser_test.sh finds them in the access log.)
  for (const want of ['POST /v1/t 200', 'POST /v1/i 200', 'POST /v1/p 200', 'POST /v1/g 200', 'POST /v1/b 200',
    'POST /v1/track 200', 'POST /v1/identify 200', 'POST /v1/page 200']) {
    check(wire.includes(want), `the browser sent ${want}`, wire);
  }
  const stored = await eventsOf('anonymous_id@browser-next', `stranger-${run}`, ['x'], 1000);
  const legacy = await eventsOf('anonymous_id@legacy', `legacy-${run}`, ['x'], 1000);
  check(stored.length === 0 && legacy.length === 0, 'nothing from a refused origin was stored', [stored, legacy]);
} catch (e) {
  check(false, `unexpected error: ${e.stack || e}`);
} finally {
  await browser.close();
  await shop.close();
  await stranger.close();
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
