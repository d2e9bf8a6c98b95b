// The scenarios browser.mjs runs in the page, each with the write key and holo's URL it
// passes in. Each returns what it saw, for the test to check besides what landed in Holo.
/* global AnalyticsNext, rudderanalytics */

// @segment/analytics-next as the README's snippet sets it up: settings inline (no CDN
// request), Segment.io's apiHost pointing at holo serve.
function loadSegment(writeKey, holoUrl, deliveryStrategy) {
  const url = new URL(holoUrl);
  const segmentio = { apiKey: writeKey, apiHost: `${url.host}/v1`, protocol: url.protocol.replace(':', '') };
  if (deliveryStrategy) segmentio.deliveryStrategy = deliveryStrategy;
  return AnalyticsNext.AnalyticsBrowser.load(
    { writeKey, cdnURL: window.location.origin, cdnSettings: { integrations: { 'Segment.io': segmentio } } },
    { retryQueue: false });
}

window.segmentScenario = async ({ writeKey, holoUrl, anonymousId, userId }) => {
  const analytics = loadSegment(writeKey, holoUrl);
  await analytics.setAnonymousId(anonymousId);
  const out = [];
  for (const ctx of [
    await analytics.identify(userId, { plan: 'gold', email: `${userId}@shop.example` }),
    await analytics.page('Shop', 'Home', { section: 'front' }),
    await analytics.track('Product Viewed', { sku: 'sku-42', price: 12.5 }),
    await analytics.group('g-42', { name: 'Acme' }),
  ]) {
    out.push({ type: ctx.event.type, failed: ctx.failedDelivery() ? String(ctx.failedDelivery().reason) : null });
  }
  return out;
};

// Batching with keepalive (what analytics-next uses when the page goes away): POST /v1/b.
window.segmentBatchScenario = async ({ writeKey, holoUrl, anonymousId }) => {
  const analytics = loadSegment(writeKey, holoUrl,
    { strategy: 'batching', config: { size: 2, timeout: 200, keepalive: true } });
  await analytics.setAnonymousId(anonymousId);
  await Promise.all([
    analytics.track('Added To Cart', { sku: 'sku-7', quantity: 2 }),
    analytics.track('Checkout Started', { total: 25 }),
  ]);
  return 'sent';
};

// A bare navigator.sendBeacon: text/plain, no headers, the write key in the body.
window.beaconScenario = ({ writeKey, holoUrl, anonymousId }) => {
  const body = JSON.stringify({
    writeKey, type: 'track', event: 'Page Left', anonymousId,
    messageId: `beacon-${anonymousId}`, properties: { seconds: 31 },
  });
  return navigator.sendBeacon(`${holoUrl}/v1/t`, body);
};

// A page whose origin its write key does not allow: the answer must be a refusal the page
// can see (403, or a CORS failure when no key allows the origin), never a silent 200.
window.refusedScenario = async ({ writeKey, holoUrl, anonymousId }) => {
  try {
    const res = await fetch(`${holoUrl}/v1/t`, {
      method: 'POST', headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ writeKey, type: 'track', event: 'Should Not Land', anonymousId, messageId: `refused-${anonymousId}` }),
    });
    return { status: res.status, body: await res.text() };
  } catch (e) {
    return { error: String(e) };
  }
};

// @rudderstack/analytics-js: source config given inline (no control plane), XHR delivery to
// /v1/identify, /v1/page, /v1/track (Authorization and AnonymousId headers: preflighted),
// or beacons to /beacon/v1/batch?writeKey=... when useBeacon is set.
window.rudderScenario = ({ writeKey, holoUrl, anonymousId, userId, useBeacon }) => new Promise((resolve, reject) => {
  const rudder = new rudderanalytics.RudderAnalytics();
  const timer = setTimeout(() => reject(new Error('rudderanalytics did not become ready in 15 s')), 15000);
  rudder.load(writeKey, holoUrl, {
    getSourceConfig: () => ({
      source: { id: 'holo-browser-test', name: 'holo-browser-test', workspaceId: 'holo', enabled: true, config: {}, destinations: [] },
    }),
    polyfillIfRequired: false,
    useBeacon: Boolean(useBeacon),
    beaconQueueOptions: { flushQueueInterval: 200 },
    logLevel: 'ERROR',
    onLoaded: () => {},
  });
  rudder.ready(() => {
    clearTimeout(timer);
    rudder.setAnonymousId(anonymousId);
    if (useBeacon) {
      rudder.track('Wishlist Added', { sku: 'sku-9' });
    } else {
      rudder.identify(userId, { plan: 'silver' });
      rudder.page('Shop', 'Cart', { step: 1 });
      rudder.track('Order Completed', { order_id: 'o-1', total: 99.5 });
    }
    resolve('queued');
  });
});
