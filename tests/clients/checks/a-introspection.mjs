// a. graphql-js: the full introspection query (every option graphql 16 has) is answered, and
// the schema it describes prints exactly as the repository's schema.graphql.
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';
import { check, gql, repoFile } from '../lib/common.mjs';

const OPTIONS = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
};

/** The nearest definition (type, input, …) at or above line i, to say where a difference is. */
function owner(lines, i) {
  for (let j = Math.min(i, lines.length - 1); j >= 0; j--) {
    const m = /^(type|input|enum|interface|union|scalar|schema|directive)\b[^{]*/.exec(lines[j]);
    if (m) return m[0].trim();
  }
  return 'the top';
}

/** The differing hunks of two printed schemas (a line diff by longest common subsequence). */
function hunks(actual, expected) {
  const a = actual.split('\n');
  const e = expected.split('\n');
  const n = a.length;
  const m = e.length;
  const width = m + 1;
  const lcs = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === e[j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  let hunk = null;
  const close = () => { if (hunk) { out.push(hunk); hunk = null; } };
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === e[j]) { close(); i++; j++; continue; }
    hunk ??= { at: owner(e, j), line: j + 1, server: [], file: [] };
    if (j < m && (i >= n || lcs[i * width + j + 1] >= lcs[(i + 1) * width + j])) hunk.file.push(e[j++]);
    else hunk.server.push(a[i++]);
  }
  close();
  // Name a hunk by the first definition inside it, if it holds one (a type only one side has).
  for (const h of out) {
    const inside = [...h.server, ...h.file].map((l) => /^(type|input|enum|interface|union|scalar|directive)\b[^{]*/.exec(l)).find(Boolean);
    if (inside) h.at = inside[0].trim();
  }
  return out;
}

const describeHunk = (h) => {
  const side = (lines) => (lines.length ? lines.slice(0, 3).map((l) => l.trim()).join(' ⏎ ') + (lines.length > 3 ? ` (+${lines.length - 3} lines)` : '') : '(nothing)');
  return `[${h.at}, sorted line ${h.line}] server: ${side(h.server)} | schema.graphql: ${side(h.file)}`;
};

await check('a-introspection', async (t) => {
  const query = getIntrospectionQuery(OPTIONS);
  const { status, body } = await gql(query, {}, {});
  const answered = status === 200 && !body.errors?.length && body.data?.__schema;
  t.ok('answered', answered,
    answered ? `HTTP 200, ${body.data.__schema.types.length} types, options ${Object.keys(OPTIONS).join(' ')}`
      : `HTTP ${status}: ${JSON.stringify(body.errors ?? body).slice(0, 400)}`);
  let introspection = body.data;
  if (!answered) {
    // Say which option the server refuses, and go on with the options it answers.
    const refused = [];
    for (const option of Object.keys(OPTIONS)) {
      const r = await gql(getIntrospectionQuery({ ...OPTIONS, [option]: false }), {}, {});
      if (!r.body.errors?.length && r.body.data?.__schema) { refused.push(option); introspection = r.body.data; }
    }
    t.fail('options', refused.length
      ? `answered once without: ${refused.join(', ')}`
      : 'refused whichever single option is dropped');
    if (!introspection) return;
  }
  const fromServer = buildClientSchema(introspection);
  const fromFile = buildSchema(repoFile('schema.graphql'));
  const server = printSchema(fromServer);
  const file = printSchema(fromFile);
  if (server === file) {
    t.pass('sdl', `printSchema(buildClientSchema(introspection)) equals printSchema(buildSchema(schema.graphql)), same order (${file.split('\n').length} lines)`);
    return;
  }
  // Field and type order is not the contract: compare both sorted.
  const sortedServer = printSchema(lexicographicSortSchema(fromServer));
  const sortedFile = printSchema(lexicographicSortSchema(fromFile));
  if (sortedServer === sortedFile) {
    t.pass('sdl', `equal after lexicographicSortSchema on both (${sortedFile.split('\n').length} lines; unsorted, the order differs)`);
    return;
  }
  const found = hunks(sortedServer, sortedFile);
  t.fail('sdl', `${found.length} difference(s) after lexicographicSortSchema on both: ${found.slice(0, 4).map(describeHunk).join(' ;; ')}${found.length > 4 ? ' ;; …' : ''}`);
});
