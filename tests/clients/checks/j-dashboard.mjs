// j. The dashboard in headless Chromium with the network cut to everything but 127.0.0.1, as
// the brand and as a retailer (each signing in through the form, as a person would): every
// figure the page shows (each `data-figure`, walked from the page) equals the API's answer to
// the same operation for the same caller; the charts are there with their titles; the
// retailer's pages name no other retailer; nothing is loaded from elsewhere; screenshots of
// the overview and the campaign page go to artifacts/. Then a webhook event (a SendGrid open)
// shows on the open campaign page within 2 s, without a reload. Runs last (it writes).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, cutNetwork } from '../lib/browser.mjs';
import { ARTIFACTS, check, data, demoIds, env, repoFile, short } from '../lib/common.mjs';

const TIMEOUT = 20_000;
const HOME = '/dashboard/brand-performance/campaigns';
const operation = (name) => repoFile('tests', 'operations', `${name}.graphql`);

/** The value at a JSON pointer. */
const at = (value, pointer) =>
  pointer.split('/').slice(1).reduce((v, key) => (v == null ? undefined : v[key.replace(/~1/g, '/').replace(/~0/g, '~')]), value);

/** Every figure on the page: pointer, value as the page holds it, text shown. */
const figuresOf = (page) =>
  page.$$eval('[data-figure]', (els) => els.map((e) => [e.getAttribute('data-figure'), e.getAttribute('data-value'), e.textContent]));

/** Holds every figure of the page to the answers; returns how many there were. */
function holdTo(t, label, figures, answers) {
  const wrong = [];
  for (const [pointer, value, shown] of figures) {
    const expected = answers.map((a) => at(a, pointer)).find((v) => v !== undefined);
    if (expected === undefined) { wrong.push(`${pointer}: not in the answer`); continue; }
    const same = expected === null ? value === '' : typeof expected === 'number' ? Number(value) === expected : value === String(expected);
    const digits = (s) => String(s).replace(/[^0-9]/g, '');
    const shownOk = expected === null ? shown === '—' : digits(value) ? digits(shown) === digits(value) : shown.toLowerCase().replace(/ /g, '_') === value.toLowerCase();
    if (!same || !shownOk) wrong.push(`${pointer}: page ${value} (${shown}), API ${JSON.stringify(expected)}`);
  }
  t.ok(`${label}/figures`, figures.length > 0 && wrong.length === 0,
    wrong.length ? short(wrong.join('; '), 600) : `${figures.length} figures equal the API's answer`);
  return figures.length;
}

async function signIn(t, context, label, token) {
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const outside = [];
  await cutNetwork(page, outside);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${env.serverUrl}/`);
  await page.click('a[href="/dashboard/sign-in"]');
  await page.fill('textarea[name="token"]', token);
  await Promise.all([page.waitForURL(`**${HOME}`), page.click('button[type="submit"]')]);
  const cookie = (await context.cookies()).find((c) => c.name === 'cp_session');
  t.ok(`${label}/sign-in`, cookie && cookie.httpOnly && cookie.sameSite === 'Strict',
    cookie ? `cookie httpOnly=${cookie.httpOnly} sameSite=${cookie.sameSite}` : 'no session cookie');
  return { page, outside, errors };
}

async function charts(t, label, page, ids) {
  const found = await page.$$eval('svg[role="img"]', (svgs) => svgs.map((s) => [s.id, s.querySelector('title')?.textContent ?? '', s.querySelectorAll('.mark title, circle title').length]));
  for (const id of ids) {
    const chart = found.find(([i]) => i === id);
    t.ok(`${label}/chart-${id}`, chart && chart[1].trim().length > 0, chart ? `titled "${chart[1]}", ${chart[2]} marks with a hover label` : `no chart ${id}; charts: ${short(found)}`);
  }
}

async function shoot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

await check('j-dashboard', async (t) => {
  const ids = await demoIds();
  const dashboard = operation('campaign_dashboard');
  const overviewText = operation('overview');
  const portfolioText = operation('portfolio');
  const context = await chromium.launch({ executablePath: env.chromium, headless: true, args: CHROMIUM_ARGS });
  try {
    // The brand.
    const brandContext = await context.newContext({ viewport: { width: 1440, height: 900 } });
    const brand = await signIn(t, brandContext, 'brand', env.brandToken);
    const [cards, summary] = await Promise.all([data(overviewText, { status: null }), data(portfolioText, { status: null })]);
    holdTo(t, 'brand/overview', await figuresOf(brand.page), [cards, summary]);
    await shoot(brand.page, 'dashboard-overview-brand');

    await brand.page.goto(`${env.serverUrl}${HOME}/${ids.activeCampaignId}`);
    const vars = { id: ids.activeCampaignId, interval: 'DAY', timeZone: 'UTC' };
    const answer = await data(dashboard, vars);
    holdTo(t, 'brand/campaign', await figuresOf(brand.page), [answer]);
    await charts(t, 'brand/campaign', brand.page, ['revenue-vs-spend', 'funnel', 'regions', 'timeline']);
    await shoot(brand.page, 'dashboard-campaign-brand');

    // A webhook event shows on the open page within 2 s.
    await brand.page.waitForFunction(() => document.querySelector('.live')?.textContent === 'live', null, { timeout: TIMEOUT });
    const unopened = await data(`query Unopened($id: UUID!) { campaign(id: $id) { emailCampaigns { sends(filter: { opened: false, status: [DELIVERED] }, first: 1) { edges { node { id recipientEmail } } } } } }`, { id: ids.activeCampaignId });
    const send = unopened.campaign.emailCampaigns.flatMap((e) => e.sends.edges.map((x) => x.node))[0];
    const selector = '[data-figure="/campaign/performance/emailsOpened"]';
    const before = Number(await brand.page.getAttribute(selector, 'data-value'));
    const posted = Date.now();
    const response = await fetch(`${env.serverUrl}/webhooks/sendgrid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ email: send.recipientEmail, timestamp: Math.floor(Date.now() / 1000), event: 'open', sg_event_id: `dashboard-live-${posted}`, send_id: send.id, useragent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15' }]),
    });
    t.ok('live/webhook', response.status === 200, `POST /webhooks/sendgrid answered ${response.status}`);
    let after = before;
    try {
      await brand.page.waitForFunction(([s, b]) => Number(document.querySelector(s)?.getAttribute('data-value')) > b, [selector, before], { timeout: 5_000, polling: 50 });
      after = Number(await brand.page.getAttribute(selector, 'data-value'));
    } catch { /* reported below */ }
    const took = Date.now() - posted;
    t.ok('live/within-2-s', after === before + 1 && took <= 2_000, `emailsOpened ${before} → ${after} on the open page ${took} ms after the post`);
    const now = await data(dashboard, vars);
    t.ok('live/equals-api', after === now.campaign.performance.emailsOpened, `page ${after}, API ${now.campaign.performance.emailsOpened}`);
    t.ok('brand/no-outside', brand.outside.length === 0, brand.outside.length ? short(brand.outside) : 'nothing requested outside 127.0.0.1');
    t.ok('brand/no-errors', brand.errors.length === 0, brand.errors.length ? short(brand.errors) : 'no script errors');
    await brandContext.close();

    // The retailer.
    const retailerContext = await context.newContext({ viewport: { width: 1440, height: 900 } });
    const retailer = await signIn(t, retailerContext, 'retailer', env.retailerToken);
    const options = { token: env.retailerToken };
    const [theirCards, theirSummary] = await Promise.all([data(overviewText, { status: null }, options), data(portfolioText, { status: null }, options)]);
    holdTo(t, 'retailer/overview', await figuresOf(retailer.page), [theirCards, theirSummary]);
    await shoot(retailer.page, 'dashboard-overview-retailer');
    await retailer.page.goto(`${env.serverUrl}${HOME}/${ids.activeCampaignId}`);
    holdTo(t, 'retailer/campaign', await figuresOf(retailer.page), [await data(dashboard, vars, options)]);
    await charts(t, 'retailer/campaign', retailer.page, ['funnel', 'timeline']);
    await shoot(retailer.page, 'dashboard-campaign-retailer');
    const names = (await data('{ retailers(first: 100) { edges { node { name } } } }')).retailers.edges.map((e) => e.node.name).filter((n) => n !== ids.retailerName);
    const text = await retailer.page.content();
    const named = names.filter((n) => text.includes(n));
    t.ok('retailer/no-other-retailer', names.length >= 10 && named.length === 0, named.length ? `names ${short(named)}` : `none of the ${names.length} other retailers named`);
    t.ok('retailer/no-outside', retailer.outside.length === 0, retailer.outside.length ? short(retailer.outside) : 'nothing requested outside 127.0.0.1');
    await retailerContext.close();
  } finally {
    await context.close();
  }
});
