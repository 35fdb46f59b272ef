// Serves the vendored GraphiQL page from assets/graphiql/ the way the server is to serve it
// (GET /graphql → index.html, GET /graphql/assets/<file> → the file) and passes every other
// request, WebSocket upgrades included, to the real server. Lets the GraphiQL check try the
// repository's assets whatever the server embeds.
import { readFileSync, existsSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import { REPO_ROOT } from './common.mjs';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/**
 * A strict Content-Security-Policy for the page: no inline script or style, nothing from another
 * host. The check reports any violation, so the page stays servable under such a policy.
 */
export const STRICT_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
  "font-src 'self' data:", "connect-src 'self' ws://127.0.0.1:*", "object-src 'none'", "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export async function startAssetsProxy(upstream, { csp = STRICT_CSP } = {}) {
  const target = new URL(upstream);
  const assets = join(REPO_ROOT, 'assets', 'graphiql');
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://proxy');
    if (req.method === 'GET' && url.pathname === '/graphql' && !url.search) {
      res.writeHead(200, { 'content-type': TYPES['.html'], ...(csp ? { 'content-security-policy': csp } : {}) });
      return res.end(readFileSync(join(assets, 'index.html')));
    }
    if (req.method === 'GET' && url.pathname.startsWith('/graphql/assets/')) {
      const file = basename(url.pathname);
      const path = join(assets, file);
      if (file === 'index.html' || !existsSync(path)) { res.writeHead(404); return res.end(); }
      res.writeHead(200, { 'content-type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' });
      return res.end(readFileSync(path));
    }
    const upstreamReq = request({
      host: target.hostname, port: target.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: target.host },
    }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    upstreamReq.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    req.pipe(upstreamReq);
  });
  server.on('upgrade', (req, socket, head) => {
    const up = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i].toLowerCase() === 'host' ? target.host : req.rawHeaders[i + 1]}`);
      }
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head?.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) };
}
