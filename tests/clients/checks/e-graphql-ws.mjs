// e. graphql-ws (graphql-transport-ws) in Node: the campaign's figures are pushed at once with
// the token in connectionParams, and again after an email event changes them (one more open).
import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { check, data, demoIds, env, short, snapshot, wsUrl } from '../lib/common.mjs';

const PUSH_TIMEOUT_MS = 15_000;

/** The pushes of one subscription, taken one at a time. */
function subscribe(client, query, variables) {
  const queue = [];
  const waiting = [];
  const deliver = (item) => (waiting.length ? waiting.shift()(item) : queue.push(item));
  const dispose = client.subscribe({ query, variables }, {
    next: (value) => deliver({ value }),
    error: (error) => deliver({ error }),
    complete: () => deliver({ done: true }),
  });
  const next = (label) => new Promise((resolve, reject) => {
    const take = (item) => {
      clearTimeout(timer);
      if (item.error) reject(new Error(`${label}: ${item.error instanceof Error ? item.error.message : short(item.error?.reason ?? item.error)}`));
      else if (item.done) reject(new Error(`${label}: the subscription completed`));
      else resolve(item.value);
    };
    const timer = setTimeout(() => {
      const i = waiting.indexOf(take);
      if (i >= 0) waiting.splice(i, 1);
      reject(new Error(`${label}: no push within ${PUSH_TIMEOUT_MS / 1000} s`));
    }, PUSH_TIMEOUT_MS);
    if (queue.length) take(queue.shift());
    else waiting.push(take);
  });
  return { next, dispose };
}

await check('e-graphql-ws', async (t) => {
  const ids = await demoIds();
  const overview = snapshot('overview');
  const card = overview.campaigns.edges.find((e) => e.node.status === 'ACTIVE')?.node;
  if (!card) throw new Error('overview.snap has no ACTIVE campaign');
  const expectedSent = card.performance.totalEmailsSent;

  let acknowledged = null;
  const client = createClient({
    url: wsUrl(),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${env.brandToken}` },
    lazy: true,
    retryAttempts: 0,
    on: { connected: (_socket, payload) => { acknowledged = payload ?? {}; } },
  });
  const subscription = subscribe(client,
    'subscription Live($id: UUID!) { campaignPerformance(campaignId: $id) { totalEmailsSent emailsOpened } }',
    { id: ids.activeCampaignId });
  try {
    const first = await subscription.next('first push');
    t.ok('connected', acknowledged !== null, 'connection_ack after connection_init with {"Authorization": "Bearer …"}');
    if (first.errors) throw new Error(`first push has errors: ${short(first.errors)}`);
    const before = first.data.campaignPerformance;
    t.equal('first-push', before.totalEmailsSent, expectedSent,
      `totalEmailsSent ${before.totalEmailsSent} = overview.snap's ${expectedSent} (emailsOpened ${before.emailsOpened})`);

    // A delivered, never-opened send of the campaign, opened now.
    const found = await data(`query Unopened($id: UUID!) { campaign(id: $id) { emailCampaigns {
        sends(filter: { status: [DELIVERED], opened: false }, first: 1) { edges { node { id } } } } } }`,
    { id: ids.activeCampaignId });
    const sendId = found.campaign.emailCampaigns.flatMap((e) => e.sends.edges).map((e) => e.node.id)[0];
    if (!sendId) throw new Error('the active campaign has no delivered, unopened send');
    const recorded = await data(`mutation Open($events: [EmailEventInput!]!) {
        recordEmailEvents(source: "client-conformance", events: $events) { applied duplicates stale } }`,
    { events: [{ eventId: `conformance-${randomUUID()}`, sendId, type: 'OPEN', occurredAt: new Date().toISOString() }] });
    t.equal('mutation', recorded.recordEmailEvents.applied, 1, `recordEmailEvents OPEN on send ${sendId}: ${JSON.stringify(recorded.recordEmailEvents)}`);

    // Pushes may repeat the figures; wait for the one that shows the open.
    const deadline = Date.now() + PUSH_TIMEOUT_MS;
    let after = null;
    const seen = [];
    while (Date.now() < deadline) {
      const push = await subscription.next('push after the open');
      if (push.errors) throw new Error(`push has errors: ${short(push.errors)}`);
      seen.push(push.data.campaignPerformance);
      if (push.data.campaignPerformance.emailsOpened !== before.emailsOpened) { after = push.data.campaignPerformance; break; }
    }
    if (!after) throw new Error(`no push with changed figures; pushes: ${short(seen)}`);
    t.equal('second-push', { emailsOpened: after.emailsOpened - before.emailsOpened, totalEmailsSent: after.totalEmailsSent },
      { emailsOpened: 1, totalEmailsSent: before.totalEmailsSent },
      `emailsOpened ${before.emailsOpened} → ${after.emailsOpened}, totalEmailsSent still ${after.totalEmailsSent} (${seen.length} push(es) after the first)`);
  } finally {
    subscription.dispose();
    await client.dispose();
  }
});
