// g. graphql-codegen (typescript, typescript-operations, typed-document-node) generates types
// for tests/operations/*.graphql from schema.graphql; `tsc --noEmit --strict` accepts code that
// uses them; the generated documents, run on the server, answer as the recorded snapshots.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generate } from '@graphql-codegen/cli';
import { print } from 'graphql';
import ts from 'typescript';
import { CLIENTS_DIR, REPO_ROOT, check, demoIds, env, gql, redact, short, snapshot } from '../lib/common.mjs';

const DIR = join(CLIENTS_DIR, 'codegen');
const GENERATED = join(DIR, '__generated__');

await check('g-codegen', async (t) => {
  rmSync(GENERATED, { recursive: true, force: true });
  mkdirSync(GENERATED, { recursive: true });
  const out = join(GENERATED, 'graphql.ts');
  const generated = await t.step('generate', async () => {
    await generate({
      schema: join(REPO_ROOT, 'schema.graphql'),
      documents: join(REPO_ROOT, 'tests', 'operations', '*.graphql'),
      silent: true,
      errorsOnly: true,
      generates: {
        [out]: {
          plugins: ['typescript', 'typescript-operations', 'typed-document-node'],
          config: {
            scalars: {
              UUID: { input: 'string', output: 'string' },
              DateTime: { input: 'string', output: 'string' },
              Decimal: { input: 'string', output: 'string' },
            },
            enumsAsTypes: true,
            useTypeImports: true,
          },
        },
      },
    }, true);
    const text = readFileSync(out, 'utf8');
    const names = ['OverviewDocument', 'CampaignPageDocument', 'RetailerPageDocument'].filter((n) => text.includes(`export const ${n}`));
    t.ok('generate', names.length === 3, `${names.join(', ')} in codegen/__generated__/graphql.ts (${text.length} chars)`);
    return text;
  });
  if (!generated) return;

  await t.step('tsc', async () => {
    const tsc = join(CLIENTS_DIR, 'node_modules', '.bin', 'tsc');
    const r = spawnSync(tsc, ['--noEmit', '--strict', '-p', join(DIR, 'tsconfig.json')], { encoding: 'utf8', timeout: 120_000 });
    t.ok('tsc', r.status === 0, r.status === 0
      ? 'tsc --noEmit --strict accepts codegen/use.ts (and its @ts-expect-error lines are needed)'
      : `tsc exit ${r.status}: ${short(`${r.stdout}${r.stderr}`, 800)}`);
  });

  // Run the generated documents themselves (transpiled from the generated TypeScript).
  const js = ts.transpileModule(generated, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const modulePath = join(GENERATED, 'graphql.mjs');
  writeFileSync(modulePath, js);
  const documents = await import(pathToFileURL(modulePath).href);
  const ids = await demoIds();
  for (const [name, doc, vars, snap, token] of [
    ['Overview', documents.OverviewDocument, {}, 'overview', env.brandToken],
    ['CampaignPage', documents.CampaignPageDocument, { id: ids.activeCampaignId }, 'campaign_page', env.brandToken],
    ['RetailerPage', documents.RetailerPageDocument, { id: ids.retailerId }, 'retailer_page', env.retailerToken],
  ]) {
    await t.step(`run-${name}`, async () => {
      const { status, body } = await gql(print(doc), vars, { token });
      if (body.errors?.length || !body.data) throw new Error(`HTTP ${status}: ${short(body.errors ?? body)}`);
      t.equal(`run-${name}`, redact(body.data), snapshot(snap), `the generated ${name}Document answers as ${snap}.snap`);
    });
  }
});
