// d. urql with its defaults (only url and the headers set): queries go as GET
// (preferGetMethod 'within-url-limit') and answer as the recorded snapshots; a mutation sent
// as GET is refused with 405; answers are compressed (gzip, br) when the client asks.
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Client, cacheExchange, fetchExchange, gql } from '@urql/core';
import {
  check, demoIds, env, graphqlUrl, operationText, redact, short, snapshot, withoutTypename,
} from '../lib/common.mjs';
import { describe, recordingFetch } from '../lib/recorder.mjs';

const URL_LIMIT = 2047; // urql's own: a longer GET URL makes it POST instead

function urql(token) {
  const recorder = recordingFetch();
  const client = new Client({
    url: graphqlUrl(),
    exchanges: [cacheExchange, fetchExchange], // urql's documented default exchanges
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
    fetch: recorder.fetch,
  });
  return { client, recorder };
}

/** A raw HTTP POST (no automatic decompression): status, headers and the body's bytes. */
function rawPost(path, body, headers) {
  return new Promise((resolve, reject) => {
    const url = new URL(path, env.serverUrl);
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

await check('d-urql', async (t) => {
  const ids = await demoIds();
  const runs = [
    { label: 'Overview', file: 'overview', snap: 'overview', token: env.brandToken, vars: {} },
    { label: 'CampaignPage', file: 'campaign_page', snap: 'campaign_page', token: env.brandToken, vars: { id: ids.activeCampaignId } },
    { label: 'RetailerPage', file: 'retailer_page', snap: 'retailer_page', token: env.retailerToken, vars: { id: ids.retailerId } },
  ];
  let gets = 0;
  for (const run of runs) {
    await t.step(run.label, async () => {
      const { client, recorder } = urql(run.token);
      const result = await client.query(gql(operationText(run.file)), run.vars).toPromise();
      const sent = recorder.requests;
      const accounts = (await Promise.all(sent.map(describe))).join(' | ');
      const urlLength = sent[0] ? sent[0].url.length : 0;
      if (sent.length === 1 && sent[0].method === 'GET') {
        gets += 1;
        t.pass(`${run.label}/method`, `1 GET (URL ${urlLength} chars): ${accounts}`);
      } else if (sent.length === 1 && sent[0].method === 'POST' && sent[0].params?.query) {
        // urql POSTs when the GET URL would pass its limit: its rule, not the server's.
        // The URL urql would have used (its makeFetchURL: every truthy body field, objects as JSON).
        const search = new URLSearchParams();
        for (const [k, v] of Object.entries(sent[0].params)) if (v) search.set(k, typeof v === 'object' ? JSON.stringify(v) : v);
        const wouldBe = `${graphqlUrl()}?${search}`.length;
        t.ok(`${run.label}/method`, wouldBe > URL_LIMIT,
          wouldBe > URL_LIMIT ? `POST, as urql's within-url-limit rule says (the GET URL would be ${wouldBe} > ${URL_LIMIT} chars)`
            : `POST although the GET URL would be ${wouldBe} ≤ ${URL_LIMIT} chars: ${accounts}`);
      } else {
        t.fail(`${run.label}/method`, `expected 1 GET; got ${sent.length}: ${accounts}`);
      }
      if (result.error) {
        t.fail(`${run.label}/data`, `${result.error.message}${result.error.response ? ` (HTTP ${result.error.response.status})` : ''}; requests: ${accounts}`);
      } else {
        t.equal(`${run.label}/data`, redact(withoutTypename(result.data)), snapshot(run.snap),
          `equals tests/operations/answers/${run.snap}.snap`);
      }
    });
  }
  t.ok('some-get', gets > 0, `${gets} of ${runs.length} operations went as GET`);

  // The operation urql would POST for its length, forced to GET: the server takes long URLs too.
  await t.step('CampaignPage-forced-get', async () => {
    const { client, recorder } = urql(env.brandToken);
    const result = await client.query(gql(operationText('campaign_page')), { id: ids.activeCampaignId },
      { preferGetMethod: 'force' }).toPromise();
    const sent = recorder.requests;
    const accounts = (await Promise.all(sent.map(describe))).join(' | ');
    const asGet = sent.length === 1 && sent[0].method === 'GET';
    if (!asGet || result.error) {
      t.fail('CampaignPage-forced-get', `${result.error ? `${result.error.message}; ` : ''}requests: ${accounts}`);
    } else {
      t.equal('CampaignPage-forced-get', redact(withoutTypename(result.data)), snapshot('campaign_page'),
        `preferGetMethod 'force': 1 GET (URL ${sent[0].url.length} chars) answering as campaign_page.snap`);
    }
  });

  // A mutation in a GET must not run: 405. (Harmless even if it ran: the campaign does not exist.)
  await t.step('mutation-get', async () => {
    const mutation = 'mutation { updateCampaign(id: "00000000-0000-0000-0000-000000000000", input: { name: "via GET" }) { id } }';
    const response = await fetch(`${graphqlUrl()}?${new URLSearchParams({ query: mutation })}`, {
      headers: { authorization: `Bearer ${env.brandToken}`, accept: 'application/json' },
    });
    const text = await response.text();
    t.ok('mutation-get', response.status === 405, `GET with a mutation → HTTP ${response.status} ${short(text, 200)}`);
  });

  // Compression: the same JSON, compressed as asked.
  await t.step('compression', async () => {
    const body = JSON.stringify({ query: operationText('overview'), variables: {} });
    const auth = { authorization: `Bearer ${env.brandToken}` };
    const plain = await rawPost('/graphql', body, { ...auth, 'accept-encoding': 'identity' });
    const reference = JSON.parse(plain.body.toString('utf8'));
    if (!reference.data) throw new Error(`the uncompressed answer has no data: ${short(plain.body.toString('utf8'))}`);
    for (const [encoding, decode] of [['gzip', gunzipSync], ['br', brotliDecompressSync]]) {
      const r = await rawPost('/graphql', body, { ...auth, 'accept-encoding': encoding });
      const got = r.headers['content-encoding'];
      if (got !== encoding) {
        t.fail(`compression-${encoding}`, `accept-encoding: ${encoding} → HTTP ${r.status}, content-encoding: ${got ?? '(none)'}, ${r.body.length} bytes (identity: ${plain.body.length})`);
        continue;
      }
      let decoded;
      try {
        decoded = JSON.parse(decode(r.body).toString('utf8'));
      } catch (e) {
        t.fail(`compression-${encoding}`, `content-encoding ${encoding} but the body does not decode: ${e.message}`);
        continue;
      }
      // Request ids differ between two requests; compare the data.
      t.equal(`compression-${encoding}`, decoded.data, reference.data,
        `content-encoding: ${encoding}, ${r.body.length} bytes for ${plain.body.length} uncompressed, same JSON`);
    }
  });
});
