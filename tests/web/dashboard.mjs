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

function firstCampaign() {
  const file = path.join(WORLD, 'campaigns.csv');
  if (!fs.existsSync(file)) return null;
  const header = fs.readFileSync(file, 'utf8').trim().split('\n');
  return header.length > 1 ? header[1].split(',')[1] : null;
}

// The box of a chart's canvas and of the chart's own element (px).
async function canvasFits(page, selector) {
  return page.$eval(selector, (node) => {
    const box = node.getBoundingClientRect();
    const canvas = node.querySelector('canvas');
    const c = canvas ? canvas.getBoundingClientRect() : null;
    return { box: { w: box.width, h: box.height, left: box.left, right: box.right },
      canvas: c && { w: c.width, h: c.height, left: c.left, right: c.right } };
  });
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
    // Events newest first, and a timeline chart of them.
    const times = await page.$$eval('[data-testid="event-row"]', (rows) => rows.map((r) => +r.dataset.ts));
    for (let i = 1; i < times.length; ++i) {
      check(times[i] <= times[i - 1], `event ${i} (${new Date(times[i]).toISOString()}) is newer than the one above it`);
    }
    await page.locator('#profile-timeline canvas').first().waitFor();
    // Trait names readable (spend_90d -> "Spend, 90 days"), no nulls, times formatted.
    const traits = await page.$$eval('[data-testid="trait-row"]', (rows) => rows.map((r) =>
      ({ name: r.dataset.trait, label: r.cells[0].textContent, value: r.cells[1].textContent })));
    for (const t of traits) {
      check(!/_/.test(t.label), `trait ${t.name} is shown by its raw name "${t.label}"`);
      check(t.value !== '–' && t.value !== 'null', `trait ${t.name} is shown without a value`);
      check(!/\d{4}-\d\d-\d\dT\d\d:/.test(t.value), `trait ${t.name} shows an unformatted time "${t.value}"`);
    }
    const spend = traits.find((t) => t.name === 'spend_90d');
    if (spend) check(spend.label === 'Spend, 90 days', `spend_90d is labelled "${spend.label}"`);
    const summary = await page.textContent('#profile-summary');
    check(!/\d{4}-\d\d-\d\dT\d\d:/.test(summary), `the summary shows unformatted times: ${summary}`);
    console.log(`     OneID ${oneid}, ${ids} identifiers, ${times.length} events shown, newest first; ${traits.length} traits`);
    await shot(page, '1-consumer-360');
  });

  // Recommendations on the 360 view (the model was trained before the server started).
  await step('consumer 360: recommendations', async () => {
    const model = await apiGet('/api/recommend/model');
    check(model.status === 200 && model.body?.trained === true,
      `GET /api/recommend/model: ${model.status} ${JSON.stringify(model.body)?.slice(0, 200)}`);
    const domains = Array.isArray(model.body.domains) ? model.body.domains : [];
    check(domains.length >= 1, 'the trained model has no domain');
    // A person whose consent allows personalization, and (when the world has one) one whose
    // consent withholds it: asked through the API, at most 60 people.
    let allowed = null;
    let refused = null;
    const ids = [person[0], ...candidatePairs().map((x) => x[0])].slice(0, 60);
    for (const id of ids) {
      const r = await apiGet(`/api/profiles/${encodeURIComponent(id)}/recommendations?k=10`);
      check(r.status === 200, `GET recommendations of ${id}: ${r.status} ${JSON.stringify(r.body)}`);
      if (r.body.allowed === false) {
        check(Array.isArray(r.body.items) && r.body.items.length === 0, `${id} is not allowed but has items`);
        refused = refused || id;
      } else if (!allowed && r.body.items?.length) {
        allowed = { id, items: r.body.items };
      }
      if (allowed && refused) break;
    }
    check(allowed, `none of ${ids.length} people has recommendations with consent to personalization`);

    await page.click('#nav-search');
    // The state the recommendations box settles in (it is unset while they load).
    const settled = async (id, domain) => {
      await page.waitForFunction(([want, d]) => {
        const box = document.getElementById('profile-recs');
        return box.dataset.for === want && box.dataset.domain === d && box.dataset.state;
      }, [id, domain]);
      return page.getAttribute('#profile-recs', 'data-state');
    };
    const clearState = () => page.$eval('#profile-recs', (n) => { delete n.dataset.state; delete n.dataset.for; });
    const showRecs = async (id) => {
      await clearState();
      await page.fill('#search-input', id);
      await page.click('#search-button');
      return settled(id, '');
    };
    let state = await showRecs(allowed.id);
    check(state === 'items', `the recommendations of ${allowed.id} show state "${state}"`);
    await noErrorShown('#view-search');
    const rows = await page.$$eval('[data-testid="rec-row"]', (trs) => trs.map((r) =>
      ({ item: r.dataset.item, label: r.cells[0].textContent, domain: r.cells[1].textContent, because: r.cells[2].textContent })));
    check(rows.length >= 1, 'no recommendation row is shown');
    check(JSON.stringify(rows.map((r) => r.item)) === JSON.stringify(allowed.items.map((x) => x.item)),
      `the page shows items ${rows.map((r) => r.item).join(',')}, the API ${allowed.items.map((x) => x.item).join(',')}`);
    for (const r of rows) {
      check(r.because.trim() !== '' && r.because !== '–', `item ${r.item} is shown without a "because"`);
      check(r.label.trim() !== '', `item ${r.item} is shown without a label`);
    }
    // The domain selector lists the model's domains and filters by one.
    const options = await page.$$eval('#recs-domain option', (o) => o.map((x) => x.value).filter(Boolean));
    check(JSON.stringify(options) === JSON.stringify(domains), `domain options ${options.join(',')}, model ${domains.join(',')}`);
    const domain = domains[domains.length - 1];
    await page.selectOption('#recs-domain', domain);
    state = await settled(allowed.id, domain);
    check(state === 'items', `with domain ${domain} the recommendations show state "${state}"`);
    const inDomain = await page.$$eval('[data-testid="rec-row"]', (trs) => trs.map((r) => r.cells[1].textContent));
    check(inDomain.length >= 1 && inDomain.every((d) => d === domain), `with domain ${domain} the rows are of ${inDomain.join(',')}`);
    console.log(`     ${allowed.id}: ${rows.length} items, e.g. "${rows[0].label}" (${rows[0].domain}): ${rows[0].because}; ` +
      `domain ${domain} filters`);
    await shot(page, '1b-recommendations');
    await clearState();
    await page.selectOption('#recs-domain', '');
    await settled(allowed.id, '');

    if (refused) {
      state = await showRecs(refused);
      check(state === 'not-allowed', `${refused} (no consent to personalization) shows state "${state}"`);
      const text = await page.textContent('[data-testid="recs-not-allowed"]');
      check(/not allowed: no consent to personalization/i.test(text), `the refusal reads "${text}"`);
      check(await page.locator('[data-testid="rec-row"]').count() === 0, 'items are shown without consent');
      console.log(`     ${refused}: "${text.slice(0, 60)}…"`);
    } else {
      console.log('     (no one of those people withholds personalization: the refusal is not shown here)');
    }

    // Before a model is trained the server answers 409; this server has one, so the answer is
    // played back to the page (the same body the server sends) to see the page say so.
    const route = '**/api/profiles/*/recommendations*';
    await page.route(route, (r) => r.fulfill({ status: 409, contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'failed_precondition',
        message: 'no recommendation model yet: run `holo recommend train --data DATA` with the server stopped' } }) }));
    try {
      state = await showRecs(allowed.id);
      check(state === 'no-model', `a 409 shows state "${state}"`);
      const text = await page.textContent('[data-testid="recs-no-model"]');
      check(/no model trained yet/i.test(text) && /holo recommend train/.test(text), `the 409 reads "${text}"`);
    } finally {
      await page.unroute(route);
    }
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
    // The index is over the people who have a value: in a dimension with an "unknown" cell,
    // the other cells' shares add up to 1 when none is suppressed, and unknown has no index.
    const gp = await apiGet(`/api/groupprofile?segment=${encodeURIComponent(segName)}&k=10`);
    check(gp.status === 200, `GET /api/groupprofile answered ${gp.status}`);
    let checked = 0;
    for (const d of gp.body.dimensions) {
      const unknown = d.cells.find((c) => c.value === 'unknown');
      if (!unknown || unknown.suppressed) continue;
      check(unknown.index === undefined, `${d.name}: the unknown cell has an index (${unknown.index})`);
      const known = d.cells.filter((c) => c.value !== 'unknown');
      if (!known.length || known.some((c) => c.suppressed)) continue;
      const total = known.reduce((n, c) => n + c.share, 0);
      check(Math.abs(total - 1) < 0.01, `${d.name}: the shares of the known values add up to ${total}, not 1`);
      checked++;
    }
    // The city dimension against exact counts: share = count / members with a city, index =
    // share / (people with that city / people with a city) x 100 (the old formula divided by
    // everyone and showed one inflated index for every city).
    const count = async (e) => {
      const r = await apiPost('/api/count', { expression: e });
      check(r.status === 200 && typeof r.body?.count === 'number', `POST /api/count ${e}: ${r.status}`);
      return r.body.count;
    };
    const city = gp.body.dimensions.find((d) => d.name === 'city');
    check(city, 'the group profile has no city dimension');
    const unknownCity = city.cells.find((c) => c.value === 'unknown');
    const withCity = await count('city is not null');
    const groupWithCity = gp.body.size - (unknownCity && !unknownCity.suppressed ? unknownCity.count : 0);
    let cities = 0;
    for (const c of city.cells) {
      if (c.suppressed || c.value === 'unknown') continue;
      const pop = await count(`city = "${c.value}"`);
      const share = c.count / groupWithCity;
      const index = share / (pop / withCity) * 100;
      check(Math.abs(c.share - share) < 0.0002, `city ${c.value}: share ${c.share}, expected ${share.toFixed(4)}`);
      check(Math.abs(c.index - index) < 0.11, `city ${c.value}: index ${c.index}, expected ${index.toFixed(1)}`);
      cities++;
    }
    check(cities > 0, 'no city cell is shown');
    // Each bar is labelled with its index and its share.
    const labels = await page.$$eval('[data-testid="gp-chart"]', (nodes) => nodes.flatMap((n) => JSON.parse(n.dataset.labels)));
    check(labels.length > 0 && labels.every((l) => /^idx \d+ · \d+\.\d%$|^\d+\.\d% of all$/.test(l)),
      `group profile labels: ${labels.slice(0, 5).join(' | ')}`);
    console.log(`     ${segName} saved; group profile with ${charts} charts; ${cities} city indexes match the counts; ` +
      `${checked} dimensions' shares add up to 1`);
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

  await step('look-alike builder: errors, then a saved audience', async () => {
    const seedName = process.env.HOLO_SEGMENT || 'buyers';
    await page.click('#nav-segments');
    await page.locator(`#lal-seed-segment option[value="${seedName}"]`).waitFor({ state: 'attached' });
    const errorOf = async (body) => {
      const r = await apiPost('/api/lookalikes', body);
      check(r.status === 400 || r.status === 404, `POST /api/lookalikes ${JSON.stringify(body)} answered ${r.status}`);
      return r.body?.error?.message || '';
    };
    const run = async () => {
      await page.click('#lal-run');
      await page.waitForFunction(() => !document.getElementById('lal-run').disabled &&
        (!document.getElementById('lal-error').hidden || !document.getElementById('lal-result').hidden));
    };
    // Size 0: the server's message, shown as it said it.
    await page.selectOption('#lal-seed-segment', seedName);
    await page.fill('#lal-size', '0');
    await page.fill('#lal-name', '');
    await page.fill('#lal-exclude', '');
    await run();
    let shown = (await page.textContent('#lal-error')).trim();
    let want = await errorOf({ seed: seedName, size: 0 });
    check(want && shown.includes(want), `size 0 shows "${shown}", the server says "${want}"`);
    check(await page.locator('#lal-result').isHidden(), 'a report is shown beside the error');
    // An unknown seed (neither a segment nor an expression over known traits).
    await page.selectOption('#lal-seed-segment', '');
    await page.fill('#lal-seed-expr', 'no_such_trait_holo > 1');
    await page.fill('#lal-size', '10');
    await run();
    shown = (await page.textContent('#lal-error')).trim();
    want = await errorOf({ seed: 'no_such_trait_holo > 1', size: 10 });
    check(want && shown.includes(want) && /no_such_trait_holo/.test(shown), `an unknown seed shows "${shown}", the server says "${want}"`);
    await shot(page, '2b-lookalike-error');

    // A named audience from the saved segment, leaving out the trait that defines it.
    const segs = await apiGet('/api/segments');
    const seedSize = segs.body.segments.find((x) => x.name === seedName)?.size;
    check(typeof seedSize === 'number' && seedSize >= 10, `seed ${seedName} has ${seedSize} members`);
    const size = 20;
    const name = `lal_web_${Date.now() % 100000}`;
    await page.selectOption('#lal-seed-segment', seedName);
    check(await page.isDisabled('#lal-seed-expr'), 'the expression stays editable with a segment picked');
    await page.fill('#lal-size', String(size));
    await page.fill('#lal-name', name);
    await page.fill('#lal-exclude', 'order_count');
    await run();
    const err = await page.locator('#lal-error:visible').allTextContents();
    check(err.length === 0, `the look-alike failed: ${err.join(' | ')}`);
    await page.locator('[data-testid="lal-saved"]').waitFor();
    const text = async (id) => (await page.textContent(`[data-testid="${id}"]`)).trim();
    check(await text('lal-seed-members') === String(seedSize), `seed members shown ${await text('lal-seed-members')}, segment ${seedSize}`);
    check(await text('lal-size-shown') === String(size), `audience shown ${await text('lal-size-shown')}, asked ${size}`);
    const precision = await text('lal-precision');
    check(/^\d+(\.\d+)?%$/.test(precision), `expected precision shown as "${precision}"`);
    const precisionCard = await page.locator('[data-testid="lal-precision"]').locator('..').textContent();
    check(/base rate \d+(\.\d+)?%/.test(precisionCard), `no base rate beside the precision: "${precisionCard}"`);
    check(/95% range \d+(\.\d+)?%–\d+(\.\d+)?%/.test(precisionCard), `no range beside the precision: "${precisionCard}"`);
    check(/^(0|1|0\.\d+)$/.test(await text('lal-auc')), `held-out AUC shown as "${await text('lal-auc')}"`);
    const curveRows = await page.$$eval('[data-testid="lal-curve-row"]', (rs) => rs.map((r) => r.dataset.size));
    check(curveRows.length >= 1 && curveRows.includes(String(size)), `the curve rows ${curveRows.join(',')} lack size ${size}`);
    const line = await page.getAttribute('[data-testid="lal-curve"] polyline', 'points');
    check(line && line.trim().split(' ').length === curveRows.length, `the curve's line has points "${line}"`);
    const features = await page.$$eval('[data-testid="lal-feature-row"]', (rs) => rs.map((r) => r.cells[0].textContent));
    check(features.length >= 1, 'no top feature is shown');
    check(!features.some((f) => f === 'order_count' || f.startsWith('order_count=')),
      `order_count was left out but is a top feature: ${features.join(', ')}`);
    const warning = await page.locator('[data-testid="lal-warning"]').count();
    // The segment list now has it, with the size asked for (and so does the API).
    const row = `[data-testid="segment-row"][data-name="${name}"]`;
    await page.locator(row).waitFor();
    const cells = await page.$eval(row, (r) => [...r.cells].map((c) => c.textContent));
    check(cells[2] === String(size), `segment ${name} is listed with size ${cells[2]}, asked ${size}`);
    const api = (await apiGet('/api/segments')).body.segments.find((x) => x.name === name);
    check(api && api.size === size, `GET /api/segments: ${name} has size ${api?.size}`);
    check(await page.isHidden('#lal-error'), 'the earlier error is still shown');
    console.log(`     ${name} from ${seedName} (${seedSize}): precision ${precision}, AUC ${await text('lal-auc')}, ` +
      `${curveRows.length} curve points, top ${features.slice(0, 3).join(', ')}${warning ? ' (with a warning)' : ''}`);
    await shot(page, '2c-lookalike');
  });

  await step('AIPL funnel', async () => {
    const brand = topBrand();
    check(brand, 'no brand found in the world\'s events');
    const { from, at } = funnelDates();
    await page.click('#nav-funnel');
    // First without From (the flows chart hidden), then again with it: the stage chart must
    // shrink to its column and not be clipped.
    await page.fill('#funnel-brand', brand);
    await page.fill('#funnel-from', '');
    await page.fill('#funnel-at', at);
    await page.click('#funnel-run');
    await page.locator('#funnel-chart canvas').first().waitFor();
    check(await page.locator('#funnel-flows-chart').isHidden(), 'the flows chart is shown without a From date');
    await page.fill('#funnel-from', from);
    await page.fill('#funnel-at', at);
    await page.click('#funnel-run');
    await page.locator('#funnel-result').waitFor();
    const stages = await page.locator('[data-testid="funnel-stage"]').allTextContents();
    check(stages.length === 4, `${stages.length} stages shown, expected 4`);
    for (const s of stages) check(/^(\d+|<\d+)$/.test(s.trim()), `a stage shows "${s}", not a number`);
    await page.locator('#funnel-chart canvas').first().waitFor();
    await page.locator('#funnel-flows-chart canvas').first().waitFor();
    await page.waitForTimeout(200);  // a resize is observed asynchronously
    const a = await canvasFits(page, '#funnel-chart');
    const b = await canvasFits(page, '#funnel-flows-chart');
    for (const [name, f] of [['stage chart', a], ['flows chart', b]]) {
      check(f.canvas, `the ${name} has no canvas`);
      check(f.canvas.w <= f.box.w + 1 && f.canvas.h <= f.box.h + 1 && f.canvas.h >= f.box.h - 1,
        `the ${name}'s canvas (${f.canvas.w}x${f.canvas.h}) does not fit its box (${f.box.w}x${f.box.h})`);
    }
    check(a.canvas.right <= b.box.left + 1, `the stage chart (right ${a.canvas.right}) runs under the flows chart (left ${b.box.left})`);
    console.log(`     ${brand} ${from} -> ${at}: ${stages.join(' / ')}; canvases ${a.canvas.w}x${a.canvas.h}, ${b.canvas.w}x${b.canvas.h}`);
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

  const emptyShown = async (root) => {
    await page.locator(`${root} [data-testid="empty-state"]`).first().waitFor();
    check(await page.locator(`${root} canvas:visible`).count() === 0, `${root} shows a chart next to its empty state`);
    await noErrorShown(root);
    return (await page.locator(`${root} [data-testid="empty-state"]`).first().textContent()).trim();
  };

  await step('empty states: unknown brand, empty segment, unknown person', async () => {
    await page.click('#nav-funnel');
    await page.fill('#funnel-brand', 'NoSuchBrandHolo');
    await page.fill('#funnel-category', '');
    await page.click('#funnel-run');
    const funnelMsg = await emptyShown('#view-funnel');
    check(await page.locator('#funnel-result').isHidden(), 'the funnel result is shown for an unknown brand');
    await shot(page, '5-empty-funnel');

    const empty = `web_empty_${Date.now() % 100000}`;
    const r = await apiPost('/api/segments', { name: empty, expression: 'order_count < 0' });
    check(r.status === 200 || r.status === 201, `POST /api/segments ${empty} answered ${r.status}`);
    await page.goto(`${URL_}/#/segments/${empty}`);
    const segMsg = await emptyShown('#groupprofile');
    await shot(page, '6-empty-segment');

    await page.click('#nav-search');
    await page.fill('#search-input', 'user_id@nowhere:holo-nobody');
    await page.click('#search-button');
    const personMsg = await emptyShown('#view-search');
    check(await page.locator('#profile').isHidden(), 'a profile is shown for an unknown person');
    await shot(page, '7-person-not-found');
    console.log(`     "${funnelMsg.slice(0, 60)}…" / "${segMsg.slice(0, 60)}…" / "${personMsg}"`);
  });

  await step('campaigns', async () => {
    const name = firstCampaign();
    check(name, 'the world has no campaigns.csv');
    await page.click('#nav-campaigns');
    await page.fill('#campaign-name', name);
    await page.click('#campaign-run');
    await page.locator('#campaign-result').waitFor();
    await noErrorShown('#view-campaigns');
    const cards = await page.locator('#campaign-cards .card').count();
    check(cards === 5, `${cards} campaign cards shown, expected 5`);
    const lift = (await page.textContent('[data-testid="campaign-lift"]')).trim();
    // A chart of the two rates, or (when nobody bought) a message instead of two empty bars.
    check(await page.locator('#campaign-chart canvas:visible').count() === 1 ||
      await page.locator('#view-campaigns [data-testid="empty-state"]').count() === 1, 'neither a chart nor a message');
    console.log(`     ${name}: lift ${lift}`);
    await shot(page, '8-campaigns');
    await page.fill('#campaign-name', 'No Such Campaign Holo');
    await page.click('#campaign-run');
    await emptyShown('#view-campaigns');
  });

  await step('consent', async () => {
    await page.click('#nav-consent');
    await page.fill('#consent-id', person[0]);
    await page.click('#consent-run');
    await page.locator('#consent-result').waitFor();
    await noErrorShown('#view-consent');
    const rows = await page.locator('[data-testid="consent-row"]').count();
    check(rows >= 1, 'no consent purposes shown');
    console.log(`     ${rows} purposes`);
    await shot(page, '9-consent');
  });

  await step('offline stores', async () => {
    await page.click('#nav-stores');
    await page.locator('#stores-select option').first().waitFor({ state: 'attached' });
    const options = await page.$$eval('#stores-select option', (o) => o.map((x) => x.value));
    check(options.length >= 1, 'no store in the list');
    const lab = options.includes('brno-lab') ? 'brno-lab' : options[0];
    await page.selectOption('#stores-select', lab);
    if (lab === 'brno-lab') {
      await page.fill('#stores-from', '2022-11-22T00:00');
      await page.fill('#stores-to', '2022-11-23T23:59');
    }
    await page.click('#stores-run');
    await page.locator('#stores-heatmap canvas').first().waitFor();
    await page.locator('#stores-occupancy canvas').first().waitFor();
    await page.locator('#stores-dwell canvas').first().waitFor();
    await noErrorShown('#view-stores');
    // The cards are the API's numbers.
    const range = lab === 'brno-lab' ? '?from=2022-11-22T00:00&to=2022-11-23T23:59' : '';
    const m = await apiGet(`/api/stores/${encodeURIComponent(lab)}/metrics${range}`);
    check(m.status === 200, `metrics answered ${m.status}`);
    const want = String(m.body.total.visits);
    await page.waitForFunction((v) => document.querySelector('[data-testid="stores-visits"]')?.textContent === v, want)
      .catch(() => {});
    const visits = await page.textContent('[data-testid="stores-visits"]');
    check(visits === want, `the visits card shows ${visits}, the API ${want}`);
    check(m.body.total.visits > 0, 'no visits in the lab range');
    console.log(`     ${lab}: ${visits} visits, ${m.body.total.passers_by} passers-by`);
    await shot(page, '13-stores');
    // A generated store with beacons: zone flows as a Sankey.
    const generated = process.env.HOLO_STORE;
    if (generated && options.includes(generated)) {
      await page.selectOption('#stores-select', generated);
      await page.fill('#stores-from', '');
      await page.fill('#stores-to', '');
      await page.click('#stores-run');
      await page.waitForFunction(() => !document.getElementById('stores-result').hidden
        || document.querySelector('#stores-empty [data-testid="empty-state"]'));
      await noErrorShown('#view-stores');
      await shot(page, '14-store-flows');
    }
  });

  await step('destinations', async () => {
    await page.click('#nav-destinations');
    await page.locator('#destinations-list [data-testid="empty-state"]').waitFor();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'holo-dest-')), 'audience.jsonl');
    const added = await apiPost('/api/destinations', { name: 'lake', kind: 'file', path: file,
      segments: [process.env.HOLO_SEGMENT || 'buyers'], use: 'export', sync_interval_s: 0 });
    check(added.status === 201, `POST /api/destinations answered ${added.status} ${JSON.stringify(added.body)}`);
    await page.click('#destinations-reload');
    const row = '[data-testid="destination-row"][data-destination="lake"]';
    await page.locator(row).waitFor();
    const before = await page.$eval(row, (r) => [...r.cells].map((c) => c.textContent));
    check(before[2] === 'only when asked', `sync column: ${before[2]}`);
    await page.click('[data-testid="destination-sync"][data-destination="lake"]');
    await page.waitForFunction(() => /lake synced/.test(document.getElementById('destinations-meta').textContent));
    await noErrorShown('#view-destinations');
    const after = await page.$eval(row, (r) => [...r.cells].map((c) => c.textContent));
    // What the file received is what the view shows: members entered, lag 0.
    const entered = fs.existsSync(file)
      ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"Audience Entered"')).length : 0;
    check(after[5] === '0', `lag after a sync: ${after[5]}`);
    check(after[6] === String(entered) && after[7] === String(entered),
      `members ${after[6]}, sent ${after[7]}, but the file has ${entered} entered`);
    console.log(`     lake: ${entered} members sent to the file`);
    if (entered) await page.locator('#destinations-chart canvas').first().waitFor();
    await shot(page, '12-destinations');
  });

  await step('ingestion health', async () => {
    // One good and one bad message through /v1 with a new write key.
    const key = await apiPost('/api/admin/writekeys', { source: 'web_e2e' });
    check(key.status === 200 || key.status === 201, `POST /api/admin/writekeys answered ${key.status}`);
    const now = new Date().toISOString();
    const batch = { batch: [
      { type: 'track', event: 'Product Viewed', userId: 'web-e2e-1', messageId: `web-e2e-${Date.now()}`, timestamp: now },
      { type: 'track', userId: 'web-e2e-1', messageId: `web-e2e-bad-${Date.now()}`, timestamp: now },
    ] };
    const v1 = await fetch(URL_ + '/v1/batch', { method: 'POST', body: JSON.stringify(batch), headers: {
      'Content-Type': 'application/json', Authorization: 'Basic ' + Buffer.from(`${key.body.writeKey}:`).toString('base64') } });
    const ack = await v1.json().catch(() => null);
    check(v1.status === 200 && ack?.accepted === 1 && ack.rejected?.length === 1, `POST /v1/batch: ${v1.status} ${JSON.stringify(ack)}`);
    await page.click('#nav-ingest');
    await page.locator('[data-testid="ingest-row"][data-source="web_e2e"]').waitFor();
    const row = await page.$eval('[data-testid="ingest-row"][data-source="web_e2e"]', (r) => [...r.cells].map((c) => c.textContent));
    check(row[1] === '1' && row[2] === '1', `web_e2e shows accepted ${row[1]}, rejected ${row[2]}`);
    const dead = +(await page.textContent('[data-testid="ingest-dead-letters"]'));
    check(dead >= 1, `dead letters: ${dead}`);
    await page.locator('#ingest-chart canvas').first().waitFor();
    await noErrorShown('#view-ingest');
    await shot(page, '10-ingestion');
  });

  await step('audit log', async () => {
    await page.click('#nav-audit');
    await page.fill('#audit-limit', '500');
    await page.click('#audit-run');
    await page.waitForFunction(() => {
      const m = document.getElementById('audit-meta').textContent.match(/^(\d+) newest of (\d+)/);
      return m && +m[1] === Math.min(500, +m[2]) && document.querySelectorAll('[data-testid="audit-row"]').length === +m[1];
    });
    await noErrorShown('#view-audit');
    const actions = await page.$$eval('[data-testid="audit-row"]', (rows) => rows.map((r) => r.cells[3].textContent));
    check(actions.includes('profile.read'), `the audit log shows no profile.read (${actions.slice(0, 5).join(', ')})`);
    check(actions.includes('profile.consent'), 'the audit log shows no profile.consent read');
    const meta = await page.textContent('#audit-meta');
    check(/intact/.test(meta), `the audit log's chain: ${meta}`);
    console.log(`     ${actions.length} entries; ${meta}`);
    await shot(page, '11-audit-log');
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
