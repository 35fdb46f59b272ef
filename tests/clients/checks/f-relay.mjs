// f. relay-compiler accepts the schema (Node with nodeId, node/nodes, last/before) for
// @refetchable fragments on Campaign and User and a backward @connection on Query, and the
// queries it generates run on the server: a refetch by global id answers as the direct query.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kind, parse, print } from 'graphql';
import { CLIENTS_DIR, check, data, difference, short } from '../lib/common.mjs';

const RELAY_DIR = join(CLIENTS_DIR, 'relay');
const GENERATED = join(RELAY_DIR, '__generated__');

async function artifact(name) {
  const module = await import(pathToFileURL(join(GENERATED, `${name}.graphql.js`)).href);
  const text = module.default?.params?.text;
  if (!text) throw new Error(`${name}.graphql.js has no params.text`);
  return text;
}

/** The refetch query's one variable (Relay names it after the id field, e.g. $nodeId). */
function soleVariable(text) {
  const op = parse(text).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  return op.variableDefinitions.map((v) => v.variable.name.value);
}

/** The fragments of a generated text, to reuse in a direct query. */
function fragmentsOf(text) {
  return parse(text).definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => print(d)).join('\n');
}

const strip = (value) => JSON.parse(JSON.stringify(value, (k, v) => (k === '__typename' ? undefined : v)));

await check('f-relay', async (t) => {
  rmSync(GENERATED, { recursive: true, force: true });
  mkdirSync(GENERATED, { recursive: true });
  const bin = join(CLIENTS_DIR, 'node_modules', '.bin', 'relay-compiler');
  const run = spawnSync(bin, ['relay.config.json'], { cwd: RELAY_DIR, encoding: 'utf8', timeout: 60_000 });
  const output = `${run.stdout}${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  const errors = output.split('\n').filter((l) => /ERROR|✖|Unknown|error/.test(l)).slice(0, 6).join(' ');
  const files = run.status === 0 ? readdirSync(GENERATED) : [];
  const compiled = run.status === 0 && files.includes('CampaignCardRefetchQuery.graphql.js');
  t.ok('compile', compiled, compiled
    ? `relay-compiler exit 0 against schema.graphql (nodeInterfaceIdField nodeId): ${files.length} artifacts`
    : `relay-compiler exit ${run.status ?? run.signal}: ${errors || short(output, 500)}`);
  if (!compiled) return;

  // Real global ids, as a client would get them.
  const list = await data(`{
    campaigns(first: 100) { totalCount edges { node { id nodeId name } } }
    retailers(first: 1) { edges { node { id nodeId } } }
  }`);
  const campaign = list.campaigns.edges[0].node;
  const retailer = list.retailers.edges[0].node;

  for (const [query, nodeId, direct, sub] of [
    ['CampaignCardRefetchQuery', campaign.nodeId, (f) => `query Direct($id: UUID!) { campaign(id: $id) { ...CampaignCard_campaign } }\n${f}`, 'refetch-campaign'],
    ['RetailerCardRefetchQuery', retailer.nodeId, (f) => `query Direct($id: UUID!) { retailer(id: $id) { ...RetailerCard_user } }\n${f}`, 'refetch-user'],
  ]) {
    await t.step(sub, async () => {
      const text = await artifact(query);
      const [variable] = soleVariable(text);
      const refetched = (await data(text, { [variable]: nodeId })).node;
      const id = query.startsWith('Campaign') ? campaign.id : retailer.id;
      const straight = await data(direct(fragmentsOf(text)), { id });
      const got = strip(refetched);
      const want = strip(straight.campaign ?? straight.retailer);
      if (!got) throw new Error(`node(id: ${JSON.stringify(nodeId)}) is null`);
      const d = difference(got, want);
      t.ok(sub, d === null, d === null
        ? `${query} (node(id: $${variable})) with ${nodeId} = the direct query: ${short(got, 160)}`
        : d);
    });
  }

  await t.step('nodes', async () => {
    const answer = await data('query($ids: [ID!]!) { nodes(ids: $ids) { __typename nodeId } }', { ids: [campaign.nodeId, retailer.nodeId] });
    t.equal('nodes', answer.nodes, [{ __typename: 'Campaign', nodeId: campaign.nodeId }, { __typename: 'User', nodeId: retailer.nodeId }],
      'nodes(ids:) answers each id in order, with its type');
  });

  await t.step('backward-pagination', async () => {
    const text = await artifact('CampaignListPaginationQuery');
    const all = list.campaigns.edges.map((e) => e.node.name);
    const last = (await data(text, { count: 2 })).campaigns;
    const names = last.edges.map((e) => e.node.name);
    t.equal('last-2', { names, hasPreviousPage: last.pageInfo.hasPreviousPage, totalCount: last.totalCount },
      { names: all.slice(-2), hasPreviousPage: all.length > 2, totalCount: list.campaigns.totalCount },
      `CampaignListPaginationQuery(count: 2) = the last 2 of ${all.length}: ${names.join(', ')}`);
    if (all.length > 2) {
      const before = (await data(text, { count: 2, cursor: last.pageInfo.startCursor })).campaigns;
      const previous = before.edges.map((e) => e.node.name);
      t.equal('before-cursor', previous, all.slice(-4, -2), `before: startCursor → ${previous.join(', ')}`);
    }
  });
});
