// End-to-end test of the Holo dashboard in headless Chromium (playwright-core).
//
// env: HOLO_URL       server base URL (http://127.0.0.1:PORT)
//      HOLO_TOKEN     admin API token
//      HOLO_WORLD     the generated world directory (truth.csv, *.jsonl, world.json)
//      HOLO_SEGMENT   optional: a segment created before the server started; must be listed
//      SCREENSHOT_DIR where the PNGs go (default $TMPDIR/holo-screenshots)
//      CHROMIUM       browser binary (default /usr/bin/chromium)
// Run by tests/web/run_dashboard_test.sh; it exits non-zero naming the failed step.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, '../../web/package.json'));
const { chromium } = require('playwright-core');

const URL_ = (process.env.HOLO_URL || '').replace(/\/$/, '');
const TOKEN = process.env.HOLO_TOKEN || '';
const WORLD = process.env.HOLO_WORLD || '';
const SHOTS = process.env.SCREENSHOT_DIR || path.join(process.env.TMPDIR || os.tmpdir(), 'holo-screenshots');
const STEP_MS = 30_000;
if (!URL_ || !TOKEN || !WORLD) {
  console.error('dashboard.mjs: set HOLO_URL, HOLO_TOKEN and HOLO_WORLD');
  process.exit(2);
}
fs.mkdirSync(SHOTS, { recursive: true });

// ---------------------------------------------------------------- helpers

class StepError extends Error {}
function check(cond, message) { if (!cond) throw new StepError(message); }

async function step(name, fn) {
  const started = Date.now();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new StepError(`timed out after ${STEP_MS / 1000} s`)), STEP_MS);
  });
  try {
    const result = await Promise.race([fn(), timeout]);
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
    return result;
  } catch (e) {
    e.step = name;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function apiGet(p) {
  const r = await fetch(URL_ + p, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return { status: r.status, body: await r.json().catch(() => null) };
}

async function apiPost(p, body) {
  const r = await fetch(URL_ + p, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

const screenshots = [];
async function shot(page, name) {
  const file = path.join(SHOTS, name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  screenshots.push(file);
}

// ---------------------------------------------------------------- the world's ground truth

// People in truth_linkable.csv components, with identifiers usable as `type:value` ids.
function candidatePairs() {
  const file = fs.existsSync(path.join(WORLD, 'truth_linkable.csv')) ? 'truth_linkable.csv' : 'truth.csv';
  const lines = fs.readFileSync(path.join(WORLD, file), 'utf8').trim().split('\n').slice(1);
  const byComponent = new Map();
  for (const line of lines) {
    const [, type, value, person] = line.split(',');
    if (!type || !type.startsWith('user_id@') || value === undefined) continue;
    if (!byComponent.has(person)) byComponent.set(person, []);
    byComponent.get(person).push(`${type}:${value}`);
  }
  // Components with the most app accounts first.
  return [...byComponent.values()].filter((ids) => ids.length >= 2).sort((a, b) => b.length - a.length);
}

function topBrand() {
  const counts = new Map();
  for (const f of fs.readdirSync(WORLD).filter((f) => f.endsWith('.jsonl'))) {
    for (const m of fs.readFileSync(path.join(WORLD, f), 'utf8').matchAll(/"brand":"([^"]+)"/g)) {
      counts.set(m[1], (counts.get(m[1]) || 0) + 1);
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

function funnelDates() {
  let end = '2026-11-01';
  try { end = JSON.parse(fs.readFileSync(path.join(WORLD, 'world.json'), 'utf8')).options.end_date || end; } catch {}
  const day = (offset) => new Date(Date.parse(end + 'T00:00:00Z') + offset * 86400_000).toISOString().slice(0, 10);
  return { from: day(-31), at: day(-1) };
}

// ---------------------------------------------------------------- the test

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let failed = null;
let page = null;
const pageErrors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const visibleError = (root) => page.locator(`${root} .error:visible`);
  const noErrorShown = async (root) => {
    const errors = await visibleError(root).allTextContents();
    check(errors.length === 0, `the page shows an error: ${errors.join(' | ')}`);
  };

  await step('login form rejects a bad token', async () => {
    await page.goto(URL_ + '/');
    await page.locator('#login-form').waitFor();
    await page.fill('#token-input', 'not-a-token');
    await page.click('#login-button');
    await visibleError('#view-login').waitFor();
  });

  await step('open the dashboard with #token=', async () => {
    await page.goto(`${URL_}/#token=${encodeURIComponent(TOKEN)}`);
    await page.locator('#nav').waitFor();
    await page.locator('#view-search').waitFor();
    await page.waitForFunction(() => document.getElementById('stats').textContent.includes('events'));
  });

  // A person whose two app accounts the engine joined (asked through the API, not the page).
  const person = await step('pick a person from the world', async () => {
    for (const ids of candidatePairs().slice(0, 40)) {
      const x = await apiGet(`/api/explain?a=${encodeURIComponent(ids[0])}&b=${encodeURIComponent(ids[1])}`);
      if (x.status === 200 && x.body && x.body.same_person) return ids;
    }
    throw new StepError('no two user_id identifiers of one person in the world are one OneID (GET /api/explain)');
  });
  console.log(`     person: ${person.slice(0, 2).join(' ')}`);

  await step('consumer 360 profile', async () => {
    await page.click('#nav-search');
    await page.fill('#search-input', person[0]);
    await page.click('#search-button');
    await page.locator('#profile').waitFor();
    const oneid = (await page.textContent('#profile-oneid')).trim();
    check(/^\d+$/.test(oneid), `the profile shows no OneID (got "${oneid}")`);
    const ids = await page.locator('[data-testid="identifier-row"]').count();
    check(ids >= 2, `the profile lists ${ids} identifiers, expected at least 2`);
    check(await page.locator('[data-testid="trait-row"]').count() > 0, 'the profile shows no traits');
    await page.locator('[data-testid="event-row"]').first().waitFor();
    const events = await page.locator('[data-testid="event-row"]').count();
    if (await page.locator('#events-more').isVisible()) {
      await page.click('#events-more');
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid="event-row"]').length > n, events);
    }
    await noErrorShown('#view-search');
    await page.locator('#profile-people :is(table, p)').first().waitFor();
    console.log(`     OneID ${oneid}, ${ids} identifiers, ${await page.locator('[data-testid="event-row"]').count()} events shown`);
    await shot(page, '1-consumer-360');
  });

  await step('segment builder: live count and parse error', async () => {
    await page.click('#nav-segments');
    await page.locator('#view-segments').waitFor();
    // An expression with enough members for a group profile (the server's k, 50 by default).
    let expr = null;
    let expected = null;
    for (const e of ['order_count >= 1', 'spend_90d > 0', 'consent("analytics")', 'events >= 1']) {
      const r = await apiPost('/api/count', { expression: e });
      if (r.status === 200 && typeof r.body?.count === 'number' && r.body.count >= 50) { expr = e; expected = r.body.count; break; }
    }
    check(expr, 'POST /api/count found no candidate expression with at least 50 members');
    await page.fill('#segment-expr', '');
    await page.locator('#segment-expr').pressSequentially('spend_90d >', { delay: 20 });
    await visibleError('#view-segments').waitFor();
    const msg = await visibleError('#view-segments').first().textContent();
    check(/column|expected/i.test(msg), `the parse error shown is "${msg}"`);
    await page.fill('#segment-expr', '');
    await page.locator('#segment-expr').pressSequentially(expr, { delay: 20 });
    await page.waitForFunction((e) => {
      const n = document.getElementById('segment-count');
      return n.dataset.expr === e && n.dataset.count !== undefined;
    }, expr);
    const shown = await page.getAttribute('#segment-count', 'data-count');
    check(shown === String(expected), `live count shows ${shown}, POST /api/count says ${expected} for ${expr}`);
    check(await visibleError('#view-segments').count() === 0, 'the parse error is still shown for a valid expression');
    console.log(`     ${expr}: ${shown}`);
    return expr;
  });

  const segName = `web_e2e_${Date.now() % 100000}`;
  await step('segment builder: save, list and group profile', async () => {
    await page.fill('#segment-name', segName);
    await page.click('#segment-save');
    await page.locator(`[data-testid="segment-row"][data-name="${segName}"]`).waitFor();
    if (process.env.HOLO_SEGMENT) {
      await page.locator(`[data-testid="segment-row"][data-name="${process.env.HOLO_SEGMENT}"]`).waitFor();
    }
    await page.locator('#groupprofile [data-testid="gp-chart"] canvas').first().waitFor();
    await noErrorShown('#view-segments');
    const charts = await page.locator('#groupprofile canvas').count();
    console.log(`     ${segName} saved; group profile with ${charts} charts`);
    await shot(page, '2-segment-builder');
  });

  await step('segment builder: the trait list is the server\'s registry', async () => {
    const reg = await apiGet('/api/traits');
    check(reg.status === 200 && Array.isArray(reg.body?.traits), `GET /api/traits answered ${reg.status}`);
    const names = reg.body.traits.map((t) => t.name);
    check(names.includes('spend_90d') && names.includes('order_count'), 'the registry lacks spend_90d or order_count');
    await page.locator('[data-testid="trait-chip"][data-trait="order_count"]').waitFor();
    const shown = await page.$$eval('[data-testid="trait-chip"]', (chips) => chips.map((c) => c.dataset.trait));
    check(JSON.stringify([...shown].sort()) === JSON.stringify([...names].sort()),
      `the page lists ${shown.length} traits, the registry ${names.length} (or other ones)`);
    await page.fill('#segment-expr', '');
    await page.click('[data-testid="trait-chip"][data-trait="order_count"]');
    const value = await page.inputValue('#segment-expr');
    check(value === 'order_count', `a click on the order_count chip left "${value}" in the expression`);
    console.log(`     ${names.length} traits in ${new Set(reg.body.traits.map((t) => t.family)).size} families`);
  });

  await step('AIPL funnel', async () => {
    const brand = topBrand();
    check(brand, 'no brand found in the world\'s events');
    const { from, at } = funnelDates();
    await page.click('#nav-funnel');
    await page.fill('#funnel-brand', brand);
    await page.fill('#funnel-from', from);
    await page.fill('#funnel-at', at);
    await page.click('#funnel-run');
    await page.locator('#funnel-result').waitFor();
    const stages = await page.locator('[data-testid="funnel-stage"]').allTextContents();
    check(stages.length === 4, `${stages.length} stages shown, expected 4`);
    for (const s of stages) check(/^(\d+|<\d+)$/.test(s.trim()), `a stage shows "${s}", not a number`);
    await page.locator('#funnel-chart canvas').first().waitFor();
    await page.locator('#funnel-flows-chart canvas').first().waitFor();
    console.log(`     ${brand} ${from} -> ${at}: ${stages.join(' / ')}`);
    await shot(page, '3-aipl-funnel');
  });

  await step('identity explain', async () => {
    await page.click('#nav-explain');
    await page.fill('#explain-a', person[0]);
    await page.fill('#explain-b', person[1]);
    await page.click('#explain-run');
    await page.locator('#explain-result').waitFor();
    const same = await page.getAttribute('#explain-answer', 'data-same');
    const text = await page.textContent('#explain-answer');
    check(same === 'true' && /same person/i.test(text), `explain says "${text}"`);
    check(await page.locator('[data-testid="explain-step"]').count() >= 1, 'no evidence path is shown');
    await shot(page, '4-identity-explain');
  });

  await step('no JavaScript errors in the page', async () => {
    check(pageErrors.length === 0, pageErrors.join(' | '));
  });
} catch (e) {
  failed = e;
  if (page) await shot(page, 'failure').catch(() => {});
} finally {
  await browser.close();
}

for (const f of screenshots) console.log(`screenshot ${f}`);
if (failed) {
  console.error(`FAIL ${failed.step || 'setup'}: ${failed.message}`);
  process.exit(1);
}
console.log('PASS dashboard');
