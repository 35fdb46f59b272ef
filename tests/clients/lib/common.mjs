// Shared by every check: where the server is, the tokens, the repository's files, and how a
// check reports (one `PASS name: detail` / `FAIL name: detail` line per assertion).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

export const CLIENTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = process.env.REPO_ROOT ? resolve(process.env.REPO_ROOT) : resolve(CLIENTS_DIR, '..', '..');
export const ARTIFACTS = process.env.ARTIFACTS_DIR || join(CLIENTS_DIR, 'artifacts');

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the checks through tests/clients/run`);
  return value;
}

export const env = {
  get serverUrl() { return required('SERVER_URL').replace(/\/$/, ''); },
  get brandToken() { return required('BRAND_TOKEN'); },
  get retailerToken() { return required('RETAILER_TOKEN'); },
  get chromium() { return process.env.CHROMIUM || '/usr/bin/chromium'; },
};

export const graphqlUrl = () => `${env.serverUrl}/graphql`;
export const wsUrl = () => `${env.serverUrl.replace(/^http/, 'ws')}/graphql/ws`;

export function repoFile(...parts) {
  return readFileSync(join(REPO_ROOT, ...parts), 'utf8');
}

/** The fenced block (```lang) that follows `<!-- marker -->` in the README. */
export function readmeBlock(marker, lang) {
  const readme = repoFile('README.md');
  const at = readme.indexOf(`<!-- ${marker} -->`);
  if (at < 0) throw new Error(`README.md has no <!-- ${marker} --> marker`);
  const fence = '```' + lang + '\n';
  const start = readme.indexOf(fence, at);
  if (start < 0) throw new Error(`README.md has no \`\`\`${lang} block after <!-- ${marker} -->`);
  const end = readme.indexOf('\n```', start + fence.length);
  return readme.slice(start + fence.length, end + 1);
}

export const OPERATIONS = {
  overview: 'overview',
  campaignPage: 'campaign_page',
  retailerPage: 'retailer_page',
};

export function operationText(file) {
  return repoFile('tests', 'operations', `${file}.graphql`);
}

/** The JSON body of an insta snapshot (after its `---` header). */
export function snapshot(name) {
  const text = repoFile('tests', 'operations', 'answers', `${name}.snap`);
  const parts = text.split(/^---$/m);
  if (parts.length < 3) throw new Error(`${name}.snap has no --- header`);
  return JSON.parse(parts.slice(2).join('---'));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** As tests/operations.rs redacts answers: UUIDs and cursors become placeholders. */
export function redact(value) {
  if (typeof value === 'string') return UUID.test(value) ? '[uuid]' : value;
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => (k === 'cursor' || k === 'endCursor' ? [k, '[cursor]'] : [k, redact(v)])),
    );
  }
  return value;
}

/** Drops `__typename` (added by Apollo's and urql's caches) everywhere. */
export function withoutTypename(value) {
  if (Array.isArray(value)) return value.map(withoutTypename);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).filter(([k]) => k !== '__typename').map(([k, v]) => [k, withoutTypename(v)]),
    );
  }
  return value;
}

/** The first place where `actual` and `expected` differ, as `path: actual ≠ expected`, or null. */
export function difference(actual, expected, path = '$') {
  if (isDeepStrictEqual(actual, expected)) return null;
  const bothObjects = actual && expected && typeof actual === 'object' && typeof expected === 'object';
  if (bothObjects && Array.isArray(actual) === Array.isArray(expected)) {
    if (Array.isArray(actual) && actual.length !== expected.length) {
      return `${path}: ${actual.length} items ≠ ${expected.length} expected`;
    }
    const keys = new Set([...Object.keys(actual), ...Object.keys(expected)]);
    for (const key of [...keys].sort()) {
      if (!(key in actual)) return `${path}.${key}: missing (expected ${short(expected[key])})`;
      if (!(key in expected)) return `${path}.${key}: unexpected ${short(actual[key])}`;
      const d = difference(actual[key], expected[key], Array.isArray(actual) ? `${path}[${key}]` : `${path}.${key}`);
      if (d) return d;
    }
  }
  return `${path}: ${short(actual)} ≠ expected ${short(expected)}`;
}

export function short(value, max = 300) {
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** POSTs an operation as the given token and returns the parsed body (throws on a non-JSON answer). */
export async function gql(query, variables = {}, { token = env.brandToken, headers = {} } = {}) {
  const response = await fetch(graphqlUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`POST /graphql answered ${response.status} with a non-JSON body: ${short(text)}`);
  }
  return { status: response.status, body };
}

/** Like gql, but returns `data` and throws when the answer has errors. */
export async function data(query, variables = {}, options = {}) {
  const { status, body } = await gql(query, variables, options);
  if (body.errors?.length || !body.data) {
    throw new Error(`HTTP ${status}, errors: ${short(body.errors ?? body)}`);
  }
  return body.data;
}

/** The demo data's ids the checks need: the active campaign and the retailer (Cartier). */
export async function demoIds() {
  const overview = await data('{ campaigns(filter: { status: [ACTIVE] }) { edges { node { id name } } } }');
  const active = overview.campaigns.edges[0]?.node;
  if (!active) throw new Error('the demo data has no ACTIVE campaign');
  const me = await data('{ me { id name } }', {}, { token: env.retailerToken });
  return { activeCampaignId: active.id, activeCampaignName: active.name, retailerId: me.me.id, retailerName: me.me.name };
}

/**
 * Runs one check: `body(t)` calls t.pass/t.fail/t.equal; a thrown error is a failure. Prints
 * one line per result and sets the exit code.
 */
export async function check(name, body) {
  let failed = 0;
  let passed = 0;
  const line = (ok, sub, detail) => {
    const label = sub ? `${name}/${sub}` : name;
    const text = `${ok ? 'PASS' : 'FAIL'} ${label}${detail ? `: ${String(detail).replace(/\s*\n\s*/g, ' ⏎ ')}` : ''}`;
    console.log(text);
    if (ok) passed += 1;
    else failed += 1;
  };
  const t = {
    pass: (sub, detail) => line(true, sub, detail),
    fail: (sub, detail) => line(false, sub, detail),
    ok: (sub, condition, detail) => line(Boolean(condition), sub, detail),
    /** Deep equality, reporting the first difference. */
    equal: (sub, actual, expected, detail) => {
      const d = difference(actual, expected);
      line(d === null, sub, d === null ? detail : d);
      return d === null;
    },
    /** Runs a sub-step; an exception in it is a FAIL of that sub-step, not of the whole check. */
    step: async (sub, fn) => {
      try {
        return await fn();
      } catch (e) {
        line(false, sub, e?.stack && process.env.CHECK_STACKS ? e.stack : e?.message ?? String(e));
        return undefined;
      }
    },
  };
  try {
    await body(t);
  } catch (e) {
    line(false, 'error', process.env.CHECK_STACKS ? e?.stack : e?.message ?? String(e));
  }
  if (passed + failed === 0) line(false, 'error', 'the check reported nothing');
  process.exitCode = failed ? 1 : 0;
  // Clients may leave sockets or timers behind: the check is over.
  setTimeout(() => process.exit(process.exitCode), 50).unref();
}
