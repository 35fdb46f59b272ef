// A fetch that records what a client sent and what came back, for checks that assert the
// protocol (method, body, persisted-query extension, status) and not only the data.
export function recordingFetch() {
  const requests = [];
  const wrapped = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input.url ?? String(input);
    const method = (init.method ?? input.method ?? 'GET').toUpperCase();
    let body = init.body;
    if (typeof body !== 'string' && body != null) body = String(body);
    const entry = { url, method, body: body ?? null, params: null, status: null, response: null };
    const u = new URL(url);
    if (method === 'GET') {
      entry.params = Object.fromEntries(u.searchParams.entries());
      for (const key of ['variables', 'extensions']) {
        if (entry.params[key]) try { entry.params[key] = JSON.parse(entry.params[key]); } catch { /* keep the text */ }
      }
    } else if (body) {
      try { entry.params = JSON.parse(body); } catch { entry.params = null; }
    }
    requests.push(entry);
    const response = await fetch(input, init);
    entry.status = response.status;
    const copy = response.clone();
    entry.response = copy.text().then((text) => { try { return JSON.parse(text); } catch { return text; } });
    return response;
  };
  return { fetch: wrapped, requests, reset: () => { requests.length = 0; } };
}

/** A short account of a recorded request, for failure messages. */
export async function describe(entry) {
  const p = entry.params ?? {};
  const what = [
    entry.method,
    p.query ? 'with query text' : 'no query text',
    p.extensions?.persistedQuery ? `hash ${String(p.extensions.persistedQuery.sha256Hash).slice(0, 12)}…` : 'no hash',
    `→ ${entry.status}`,
  ];
  const body = await entry.response;
  if (body?.errors) what.push(`errors ${JSON.stringify(body.errors.map((e) => e.message ?? e)).slice(0, 200)}`);
  else if (body?.data) what.push('data');
  else if (typeof body === 'string') what.push(JSON.stringify(body.slice(0, 120)));
  return what.join(' ');
}
