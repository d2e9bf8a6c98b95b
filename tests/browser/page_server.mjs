// A tiny static server for the test page: the shop's origin, another than holo serve's.
// Serves tests/browser/page/ and the SDK bundles copied from node_modules (no CDN).
//
//   import { startPageServer } from './page_server.mjs';
//   const { origin, close } = await startPageServer();   // http://127.0.0.1:PORT
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const roots = [
  ['/analytics-next/bundles/', path.join(here, 'node_modules/@segment/analytics-next/dist/umd/')],
  ['/rudder/', path.join(here, 'node_modules/@rudderstack/analytics-js/dist/npm/modern/bundled/umd/')],
  ['/', path.join(here, 'page/')],
];
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json' };

export function startPageServer() {
  const server = http.createServer((req, res) => {
    let urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (urlPath === '/') urlPath = '/index.html';
    for (const [prefix, dir] of roots) {
      if (!urlPath.startsWith(prefix)) continue;
      const file = path.join(dir, urlPath.slice(prefix.length));
      if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) break;
      res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
      fs.createReadStream(file).pipe(res);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}
