// Live figures on a campaign page: the graphql-ws subscription `campaignPerformance` over this
// server's WebSocket (the session cookie authenticates it), each push written into the
// figures the page shows under /campaign/performance/, formatted as the server formats them.
(() => {
  const page = document.querySelector('[data-campaign]');
  if (!page || !('WebSocket' in window)) return;
  const id = page.getAttribute('data-campaign');
  const fields = new Set();
  document.querySelectorAll('[data-figure^="/campaign/performance/"]').forEach((el) => {
    fields.add(el.getAttribute('data-figure').split('/')[3]);
  });
  if (fields.size === 0) return;
  const query = `subscription Live($id: UUID!) { campaignPerformance(campaignId: $id) { ${[...fields].join(' ')} } }`;
  const status = document.querySelector('.live');
  const grouped = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const thousands = (raw) => {
    const [int, frac] = raw.replace(/^-/, '').split('.');
    return (raw.startsWith('-') ? '-' : '') + grouped(int) + (frac !== undefined ? '.' + frac : '');
  };
  const asText = (value, kind) => {
    if (typeof value === 'number' && (kind === 'percent' || kind === 'ratio') && Number.isInteger(value)) {
      return value.toFixed(1); // as the API writes a whole float: 7.0
    }
    return String(value);
  };
  const shown = (raw, kind) => {
    switch (kind) {
      case 'count': return thousands(raw);
      case 'money': return raw.startsWith('-') ? '-$' + thousands(raw.slice(1)) : '$' + thousands(raw);
      case 'percent': return raw + '%';
      case 'ratio': return raw + '×';
      case 'text': { const t = raw.replace(/_/g, ' ').toLowerCase(); return t.charAt(0).toUpperCase() + t.slice(1); }
      default: return raw;
    }
  };
  const apply = (figures) => {
    let changed = 0;
    for (const [field, value] of Object.entries(figures)) {
      document.querySelectorAll(`[data-figure="/campaign/performance/${field}"]`).forEach((el) => {
        const kind = el.getAttribute('data-kind');
        const raw = asText(value, kind);
        if (el.getAttribute('data-value') !== raw) {
          el.setAttribute('data-value', raw);
          el.textContent = shown(raw, kind);
          el.classList.add('updated');
          setTimeout(() => el.classList.remove('updated'), 1500);
          changed += 1;
        }
      });
    }
    if (changed && status) status.textContent = 'updated ' + new Date().toLocaleTimeString();
  };
  let wait = 1000;
  const connect = () => {
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';
    const socket = new WebSocket(url, 'graphql-transport-ws');
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type === 'connection_ack') {
        wait = 1000;
        if (status) status.textContent = 'live';
        socket.send(JSON.stringify({ id: 'live', type: 'subscribe', payload: { query, variables: { id } } }));
      } else if (message.type === 'next' && message.payload && message.payload.data) {
        apply(message.payload.data.campaignPerformance || {});
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      }
    };
    socket.onclose = () => {
      if (status) status.textContent = '';
      setTimeout(connect, wait);
      wait = Math.min(wait * 2, 30000);
    };
  };
  connect();
})();
