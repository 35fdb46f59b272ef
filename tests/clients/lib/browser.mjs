// What the Chromium checks share: the browser's flags and a page whose network is cut to
// 127.0.0.1 (no name resolves; any other request is aborted and recorded).

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-default-apps', '--disable-domain-reliability', '--no-pings',
  // No name resolves: only IP literals (127.0.0.1) can be reached at all.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** True for what a page may reach: 127.0.0.1 and in-page URLs. */
export const isLocal = (href) => {
  const u = new URL(href);
  if (['data:', 'blob:', 'about:', 'chrome-error:'].includes(u.protocol)) return true;
  return ['http:', 'https:', 'ws:', 'wss:'].includes(u.protocol) && u.hostname === '127.0.0.1';
};

/** Aborts every request of `page` that is not local, recording it in `outside`. */
export async function cutNetwork(page, outside) {
  await page.route('**/*', (route) => {
    const href = route.request().url();
    if (isLocal(href)) return route.continue();
    outside.push(href);
    return route.abort('blockedbyclient');
  });
}
