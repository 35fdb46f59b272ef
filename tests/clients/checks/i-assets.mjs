// i. assets/graphiql/ is what VERSIONS.md says: every served file listed with its size and
// sha256 (the vendored ones byte-for-byte npm's), the total right, and index.html naming only
// files that are there. Needs no server.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, check } from '../lib/common.mjs';

await check('i-assets', async (t) => {
  const dir = join(REPO_ROOT, 'assets', 'graphiql');
  const versions = readFileSync(join(dir, 'VERSIONS.md'), 'utf8');
  const rows = [...versions.matchAll(/^\| `([^`]+)` \|[^|]*\| ([\d,]+) \| `([0-9a-f]{64})` \|$/gm)]
    .map(([, file, size, sha]) => ({ file, size: Number(size.replace(/,/g, '')), sha }));
  const files = readdirSync(dir).filter((f) => f !== 'VERSIONS.md').sort();
  const listed = rows.map((r) => r.file).sort();
  t.equal('listed', listed, files, `VERSIONS.md lists the ${files.length} files of assets/graphiql/`);
  let total = 0;
  const wrong = [];
  for (const row of rows) {
    let bytes;
    try { bytes = readFileSync(join(dir, row.file)); } catch { wrong.push(`${row.file}: missing`); continue; }
    total += bytes.length;
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (bytes.length !== row.size) wrong.push(`${row.file}: ${bytes.length} bytes, listed ${row.size}`);
    if (sha !== row.sha) wrong.push(`${row.file}: sha256 ${sha}, listed ${row.sha}`);
  }
  t.ok('sha256', wrong.length === 0, wrong.length === 0 ? `sizes and sha256 of ${rows.length} files as listed` : wrong.join('; '));
  const stated = /Total ([\d,]+) bytes/.exec(versions)?.[1];
  t.equal('total', Number(stated?.replace(/,/g, '')), total, `total ${total} bytes as stated`);
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const referenced = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  const bad = referenced.filter((u) => !u.startsWith('/graphql/assets/') || !files.includes(u.slice('/graphql/assets/'.length)));
  t.ok('index.html', bad.length === 0 && referenced.length > 0, bad.length === 0
    ? `index.html loads ${referenced.length} files, all from /graphql/assets/ and all present`
    : `index.html loads what is not in assets/graphiql/: ${bad.join(' ')}`);
});
