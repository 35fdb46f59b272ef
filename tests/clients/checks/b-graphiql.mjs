// b. GraphiQL in headless Chromium with the network cut to everything but 127.0.0.1: the page
// at /graphql loads with no third-party host, takes the token in the Headers pane, shows the
// schema's docs (Campaign's description and fields), runs the README's tour query to the
// README's answer, and runs a subscription over the WebSocket with the Headers pane's token.
// Done twice: on the page the server serves, and on the repository's assets/graphiql/ (served
// by a small local proxy in front of the server), so the assets are tried whatever the server
// embeds.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { chromium } from 'playwright-core';
import { startAssetsProxy } from '../lib/assets-proxy.mjs';
import { CHROMIUM_ARGS, cutNetwork, isLocal } from '../lib/browser.mjs';
import { ARTIFACTS, check, demoIds, difference, env, readmeBlock, repoFile, short } from '../lib/common.mjs';

const TIMEOUT = 20_000;
const plain = (text) => String(text ?? '').replace(/[`*_]/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/\s+/g, ' ').trim();

/** The value of the CodeMirror editor inside `selector`. */
const editorValue = (page, selector) => page.evaluate((s) => document.querySelector(s)?.CodeMirror?.getValue() ?? null, selector);
const setEditor = async (page, selector, value) => {
  await page.evaluate(([s, v]) => {
    const cm = document.querySelector(s)?.CodeMirror;
    if (!cm) throw new Error(`no editor at ${s}`);
    cm.setValue(v);
  }, [selector, value]);
  // GraphiQL parses an edit after a short debounce (the operation it runs, subscription or
  // not, comes from that parse), as a person's typing would give it.
  await page.waitForTimeout(500);
};

const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const HEADERS_EDITOR = '.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror';
const RESPONSE = '.graphiql-response .CodeMirror';

/** Waits until the response pane holds JSON for which `accept(json)` is true; returns it. */
async function response(page, accept, what) {
  const deadline = Date.now() + TIMEOUT;
  let last = null;
  while (Date.now() < deadline) {
    last = await editorValue(page, RESPONSE);
    if (last) {
      try {
        const json = JSON.parse(last);
        if (accept(json)) return json;
      } catch { /* still streaming in */ }
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`${what}: the result pane shows ${short(last ?? '(nothing)', 400)}`);
}

async function scenario(t, context, base, label, expectations) {
  const sub = (name) => `${label}/${name}`;
  const outside = [];
  const seen = [];
  const wsFrames = [];
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('request', (r) => seen.push(r.url()));
  page.on('websocket', (ws) => {
    seen.push(ws.url());
    if (!isLocal(ws.url())) outside.push(ws.url());
    ws.on('framesent', (f) => wsFrames.push(String(f.payload)));
  });
  await cutNetwork(page, outside);
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

  let shot = false;
  const shoot = async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `${expectations.screenshot}.png`) });
    shot = true;
  };
  try {
    const loaded = await t.step(sub('load'), async () => {
      const r = await page.goto(`${base}/graphql`, { waitUntil: 'load' });
      // A page that needed a blocked host will not come up: give it 3 s, not the whole timeout.
      const wait = outside.length ? 3_000 : TIMEOUT;
      await page.waitForSelector(QUERY_EDITOR, { timeout: wait }).catch(() => {
        throw new Error(`GET /graphql → HTTP ${r?.status()}, no GraphiQL editor within ${wait / 1000} s` +
          `${outside.length ? `; blocked requests to ${[...new Set(outside.map((h) => new URL(h).host))].join(', ')}` : ''}` +
          `${consoleErrors.length ? `; page errors: ${short(consoleErrors.slice(0, 3), 300)}` : ''}`);
      });
      expectations.cspHeader = (await r.allHeaders())['content-security-policy'] ?? null;
      const title = await page.title();
      t.ok(sub('load'), title === 'campaign-performance', `GET /graphql → HTTP ${r.status()}, GraphiQL editor ready, title ${JSON.stringify(title)}`);
      return true;
    });
    if (!loaded) return;

    await t.step(sub('defaults'), async () => {
      const headers = await editorValue(page, HEADERS_EDITOR);
      const query = await editorValue(page, QUERY_EDITOR);
      let parsed = null;
      try { parsed = JSON.parse(headers); } catch { /* reported below */ }
      const ok = parsed?.Authorization === 'Bearer <paste a token here>' && /cargo run/.test(query ?? '') && /Headers/.test(query ?? '');
      t.ok(sub('defaults'), ok, ok
        ? 'Headers pane visible with {"Authorization": "Bearer <paste a token here>"}; the default query says where tokens come from'
        : `Headers pane ${headers === null ? 'not visible' : JSON.stringify(headers)}; default query ${short(query, 200)}`);
    });

    // The token in the Headers pane, then the schema fetched with it.
    await page.getByRole('button', { name: 'Headers', exact: true }).click().catch(() => {});
    await page.waitForSelector(HEADERS_EDITOR);
    await setEditor(page, HEADERS_EDITOR, JSON.stringify({ Authorization: `Bearer ${env.brandToken}` }, null, 2));
    await page.getByRole('button', { name: 'Re-fetch GraphQL schema' }).click();

    await t.step(sub('docs'), async () => {
      await page.getByRole('button', { name: /Documentation Explorer/ }).first().click();
      // "query: Query" under Root Types: the link after the `query` label.
      const rootLink = page.locator('xpath=//span[contains(@class,"graphiql-doc-explorer-root-type") and normalize-space(.)="query"]/following-sibling::a[1]');
      await rootLink.waitFor();
      const root = (await rootLink.innerText()).trim();
      await rootLink.click();
      await page.locator('.graphiql-doc-explorer-title', { hasText: root }).waitFor();
      await page.locator('a.graphiql-doc-explorer-field-name', { hasText: /^campaign$/ }).first().click();
      await page.locator('.graphiql-doc-explorer-title', { hasText: /^campaign$/ }).waitFor();
      await page.locator('.graphiql-doc-explorer-content a.graphiql-doc-explorer-type-name', { hasText: /^Campaign$/ }).first().click();
      await page.locator('.graphiql-doc-explorer-title', { hasText: /^Campaign$/ }).waitFor();
      const shown = plain(await page.locator('.graphiql-doc-explorer-content').innerText());
      const fieldsShown = await page.locator('.graphiql-doc-explorer-content a.graphiql-doc-explorer-field-name').allInnerTexts();
      const type = expectations.campaignType;
      const fields = Object.values(type.getFields());
      const missingFields = fields.map((f) => f.name).filter((n) => !fieldsShown.includes(n));
      const describedFields = fields.filter((f) => f.description);
      // GraphiQL shows each field's description (its first paragraph) under its name.
      const missingDescriptions = describedFields
        .map((f) => plain(f.description.split(/\n\s*\n/)[0]).slice(0, 40))
        .filter((start) => !shown.includes(start));
      const typeDescription = type.description ? plain(type.description.split(/\n\s*\n/)[0]).slice(0, 60) : null;
      const ok = missingFields.length === 0 && missingDescriptions.length === 0 && (!typeDescription || shown.includes(typeDescription));
      t.ok(sub('docs'), ok, ok
        ? `docs: ${root} → campaign → Campaign shows ${typeDescription ? 'its description, ' : ''}all ${fields.length} fields of schema.graphql and ${describedFields.length} field descriptions`
        : `Campaign docs: ${missingFields.length} fields missing (${missingFields.slice(0, 5).join(', ')}), ` +
          `${missingDescriptions.length} descriptions missing (${short(missingDescriptions.slice(0, 2))})` +
          `${typeDescription && !shown.includes(typeDescription) ? `, type description missing (${typeDescription})` : ''}`);
    });

    await t.step(sub('tour'), async () => {
      await setEditor(page, QUERY_EDITOR, expectations.tourQuery);
      await page.locator('.graphiql-execute-button').click();
      const json = await response(page, (j) => j.data?.campaigns || j.errors, 'tour query');
      const text = await editorValue(page, RESPONSE);
      const figure = `"totalEmailsSent": ${expectations.totalEmailsSent}`;
      const d = json.errors ? `errors: ${short(json.errors)}` : difference(json.data, expectations.tourAnswer);
      t.ok(sub('tour'), d === null && text.includes(figure), d === null
        ? `the README tour query answers the README's answer; the result pane shows ${figure}`
        : d);
      await shoot();
    });

    await t.step(sub('subscription'), async () => {
      const figure = expectations.totalEmailsSent;
      await setEditor(page, QUERY_EDITOR,
        `subscription Live {\n  campaignPerformance(campaignId: "${expectations.activeCampaignId}") { totalEmailsSent }\n}\n`);
      await page.locator('.graphiql-execute-button').click();
      const json = await response(page, (j) => j.data?.campaignPerformance || j.errors, 'subscription');
      await page.locator('.graphiql-execute-button').click(); // stop it
      const init = wsFrames.map((f) => { try { return JSON.parse(f); } catch { return null; } }).find((m) => m?.type === 'connection_init');
      const authorization = init?.payload?.Authorization;
      const ok = json.data?.campaignPerformance?.totalEmailsSent === figure && authorization === `Bearer ${env.brandToken}`;
      t.ok(sub('subscription'), ok, ok
        ? `pushed totalEmailsSent ${figure} over ws://…/graphql/ws; connection_init carried the Headers pane's Authorization`
        : `result ${short(json)} (expected totalEmailsSent ${figure}); connection_init ${init
          ? `payload ${authorization === `Bearer ${env.brandToken}` ? 'carried the token' : `did not carry the token (keys ${short(Object.keys(init.payload ?? {}))})`}`
          : 'never sent'}`);
    });
    if (expectations.csp || expectations.cspHeader) {
      // The proxy sends a strict policy; the server's own policy is checked when it sends one.
      const violations = consoleErrors.filter((m) => /Content Security Policy/i.test(m));
      t.ok(sub('csp'), violations.length === 0, violations.length === 0
        ? `no Content-Security-Policy violation under ${expectations.csp ? 'a strict policy (no inline script or style, self only)' : `the server's policy: ${expectations.cspHeader}`}`
        : `${violations.length} CSP violation(s): ${short(violations.slice(0, 2), 400)}`);
    }
  } finally {
    if (!shot) await shoot().catch(() => {}); // what the page showed when a step failed
    const local = seen.filter(isLocal).length;
    t.ok(sub('offline'), outside.length === 0, outside.length === 0
      ? `all ${local} requests and sockets went to 127.0.0.1`
      : `${outside.length} request(s) left 127.0.0.1 (blocked): ${[...new Set(outside)].slice(0, 4).join(' ')}`);
    await page.close();
  }
}

await check('b-graphiql', async (t) => {
  const tourAnswer = JSON.parse(readmeBlock('tour-answer', 'json'));
  const expectations = {
    tourQuery: readmeBlock('tour-query', 'graphql'),
    tourAnswer,
    totalEmailsSent: tourAnswer.campaigns.edges[0].node.performance.totalEmailsSent,
    campaignType: buildSchema(repoFile('schema.graphql')).getType('Campaign'),
    activeCampaignId: (await demoIds()).activeCampaignId,
  };
  const profile = mkdtempSync(join(tmpdir(), 'cp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: env.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 900 },
    serviceWorkers: 'block',
  });
  const proxy = await startAssetsProxy(env.serverUrl);
  try {
    await scenario(t, context, env.serverUrl, 'server', { ...expectations, screenshot: 'graphiql' });
    await scenario(t, context, proxy.url, 'assets', { ...expectations, screenshot: 'graphiql-assets', csp: true });
  } finally {
    await context.close();
    await proxy.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
