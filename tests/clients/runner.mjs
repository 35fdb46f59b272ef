// Runs the checks in checks/ as separate processes, two at a time, and the ones that change
// data (e-graphql-ws, j-dashboard: one more open each) last, alone. Prints each check's PASS/FAIL lines, then
// "N passed, N failed"; exits 1 if anything failed.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENTS_DIR } from './lib/common.mjs';

const CHECK_TIMEOUT_MS = Number(process.env.CHECK_TIMEOUT_MS || 150_000);
const LAST = ['e-graphql-ws', 'j-dashboard']; // write to the database: after every check that compares figures
const SLOW_FIRST = ['b-graphiql', 'g-codegen'];

const all = readdirSync(join(CLIENTS_DIR, 'checks')).filter((f) => f.endsWith('.mjs')).map((f) => f.replace(/\.mjs$/, '')).sort();
const wanted = process.argv.slice(2);
const selected = wanted.length ? all.filter((name) => wanted.some((w) => name === w || name.startsWith(w))) : all;
if (!selected.length) {
  console.error(`no check matches ${wanted.join(' ')}; checks: ${all.join(' ')}`);
  process.exit(2);
}

function runCheck(name) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(CLIENTS_DIR, 'checks', `${name}.mjs`)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => { err += `\n(killed after ${CHECK_TIMEOUT_MS / 1000} s)`; child.kill('SIGKILL'); }, CHECK_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = out.split('\n').filter((l) => /^(PASS|FAIL) /.test(l));
      if (code !== 0 && !lines.some((l) => l.startsWith('FAIL'))) {
        const tail = err.trim().split('\n').slice(-4).join(' ⏎ ');
        lines.push(`FAIL ${name}: exited ${code ?? signal}${tail ? `: ${tail}` : ''}`);
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`── ${name} (${seconds} s)`);
      for (const l of lines) console.log(l);
      if (process.env.CHECK_VERBOSE && err.trim()) console.log(err.trim());
      resolve(lines);
    });
  });
}

const ordered = [
  ...SLOW_FIRST.filter((n) => selected.includes(n)),
  ...selected.filter((n) => !SLOW_FIRST.includes(n) && !LAST.includes(n)),
];
const results = [];
let next = 0;
async function worker() {
  while (next < ordered.length) {
    const name = ordered[next++];
    results.push(...(await runCheck(name)));
  }
}
await Promise.all([worker(), worker()]);
for (const name of LAST.filter((n) => selected.includes(n))) results.push(...(await runCheck(name)));

const passed = results.filter((l) => l.startsWith('PASS')).length;
const failed = results.filter((l) => l.startsWith('FAIL')).length;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
