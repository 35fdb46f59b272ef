// c. Apollo Client with automatic persisted queries (createPersistedQueryLink over HttpLink):
// the dashboard operations answer as their recorded snapshots, and the APQ protocol really
// happens: an unknown hash gets PersistedQueryNotFound, the link retries with the text, and the
// next run of the same operation is answered from the hash alone. Also with
// useGETForHashedQueries (hash-only requests as GET).
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries/index.js';
import {
  check, demoIds, env, graphqlUrl, operationText, redact, snapshot, withoutTypename,
} from '../lib/common.mjs';
import { describe, recordingFetch } from '../lib/recorder.mjs';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

function client({ token, apq, get = false }) {
  const recorder = recordingFetch();
  const http = new HttpLink({ uri: graphqlUrl(), fetch: recorder.fetch, headers: { authorization: `Bearer ${token}` } });
  const link = apq ? createPersistedQueryLink({ sha256, useGETForHashedQueries: get }).concat(http) : http;
  const apollo = new ApolloClient({
    link,
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: 'no-cache', errorPolicy: 'none' } },
  });
  return { apollo, recorder };
}

const isNotFound = (body) =>
  Array.isArray(body?.errors) &&
  body.errors.some((e) => e.message === 'PersistedQueryNotFound' || e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND');
const hashOnly = (r) => !r.params?.query && r.params?.extensions?.persistedQuery?.sha256Hash;

await check('c-apollo', async (t) => {
  const ids = await demoIds();
  const runs = [
    // [mode, label, operation file, snapshot, token, variables]
    { get: false, label: 'Overview', file: 'overview', snap: 'overview', token: env.brandToken, vars: {} },
    { get: false, label: 'CampaignPage', file: 'campaign_page', snap: 'campaign_page', token: env.brandToken, vars: { id: ids.activeCampaignId } },
    // GET mode: RetailerPage's hash is new to the server (NotFound over GET, then text), while
    // CampaignPage's was registered by the POST run (answered from a GET with the hash alone).
    { get: true, label: 'RetailerPage', file: 'retailer_page', snap: 'retailer_page', token: env.retailerToken, vars: { id: ids.retailerId } },
    { get: true, label: 'CampaignPage-as-retailer', file: 'campaign_page', snap: 'campaign_page_as_retailer', token: env.retailerToken, vars: { id: ids.activeCampaignId } },
  ];
  const registered = new Set(); // hashes this check has seen the server accept with their text
  const clients = {};
  for (const run of runs) {
    const mode = run.get ? 'get' : 'post';
    const key = `${mode}:${run.token}`;
    clients[key] ??= client({ token: run.token, apq: true, get: run.get });
    const { apollo, recorder } = clients[key];
    const query = gql(operationText(run.file));
    const expected = snapshot(run.snap);
    const sub = `${mode}/${run.label}`;
    let apqWorked = true;
    for (const attempt of [1, 2]) {
      recorder.reset();
      let result;
      try {
        result = await apollo.query({ query, variables: run.vars });
      } catch (e) {
        const sent = await Promise.all(recorder.requests.map(describe));
        t.fail(`${sub}/apq-run-${attempt}`, `${e.message}; requests: ${sent.join(' | ') || 'none'}`);
        apqWorked = false;
        break;
      }
      const sent = recorder.requests;
      const accounts = (await Promise.all(sent.map(describe))).join(' | ');
      const firstHash = sent[0]?.params?.extensions?.persistedQuery?.sha256Hash;
      const bodies = await Promise.all(sent.map((r) => r.response));
      const wantMethod = run.get ? 'GET' : 'POST';
      if (!registered.has(firstHash)) {
        // Unknown hash: hash only → PersistedQueryNotFound → the text with the hash (POST).
        const ok = sent.length === 2 && sent[0].method === wantMethod && hashOnly(sent[0]) && isNotFound(bodies[0]) &&
          sent[1].params?.query && sent[1].params?.extensions?.persistedQuery?.sha256Hash === firstHash &&
          bodies[1]?.data && !bodies[1]?.errors;
        t.ok(`${sub}/apq-register`, ok, ok
          ? `2 requests: ${wantMethod} hash-only → PersistedQueryNotFound, then the text + hash → data (${accounts})`
          : `expected ${wantMethod} hash-only → PersistedQueryNotFound, then text + hash → data; got ${sent.length}: ${accounts}`);
        if (ok) registered.add(firstHash);
        else apqWorked = false;
      } else {
        const ok = sent.length === 1 && sent[0].method === wantMethod && hashOnly(sent[0]) && bodies[0]?.data && !bodies[0]?.errors;
        t.ok(`${sub}/apq-hash-only`, ok, ok
          ? `1 request: ${wantMethod} with the hash alone → data (${accounts})`
          : `expected one ${wantMethod} with the hash alone answered with data; got ${sent.length}: ${accounts}`);
        if (!ok) apqWorked = false;
      }
      t.equal(`${sub}/data-${attempt}`, redact(withoutTypename(result.data)), expected,
        `equals tests/operations/answers/${run.snap}.snap`);
      if (!apqWorked) break;
    }
    if (!apqWorked) {
      // The same operation through a plain HttpLink, so the data still gets compared.
      const plain = client({ token: run.token, apq: false });
      await t.step(`${sub}/data-without-apq`, async () => {
        const result = await plain.apollo.query({ query, variables: run.vars });
        t.equal(`${sub}/data-without-apq`, redact(withoutTypename(result.data)), expected,
          `equals tests/operations/answers/${run.snap}.snap (plain HttpLink POST, APQ off)`);
      });
    }
  }
});
