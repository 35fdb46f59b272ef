// campaign-performance: GraphiQL wired to this server, with no third-party host.
//
// Queries and mutations are POSTed to /graphql with the Headers pane's headers; subscriptions
// go over WebSocket (graphql-transport-ws) to /graphql/ws on the same host, where the
// Headers pane's `Authorization` is sent in the `connection_init` payload
// (`{"Authorization": "Bearer …"}`), since browsers cannot set headers on a WebSocket.
(function () {
  'use strict';

  var httpUrl = new URL('/graphql', window.location.href).toString();
  var wsUrl = (window.location.protocol === 'https:' ? 'wss://' : 'ws://') + window.location.host + '/graphql/ws';

  var DEFAULT_HEADERS = JSON.stringify({ Authorization: 'Bearer <paste a token here>' }, null, 2);

  var DEFAULT_QUERY = [
    '# campaign-performance',
    '#',
    '# Every request needs a bearer token. `cargo run`',
    '# prints ready tokens for the demo\'s brand user and',
    '# for a retailer; or mint one with',
    '#   campaign-performance token --email <email>',
    '#',
    '# Put it in the Headers pane below:',
    '#   {"Authorization": "Bearer <token>"}',
    '# then press "Re-fetch GraphQL schema" (the arrows,',
    '# bottom left) for the docs, and run this query.',
    '',
    '{',
    '  campaigns(filter: { status: [ACTIVE] }) {',
    '    totalCount',
    '    edges {',
    '      node {',
    '        name',
    '        performance {',
    '          totalEmailsSent openRate clickRate',
    '          totalRevenue roiPercentage',
    '        }',
    '      }',
    '    }',
    '  }',
    '}',
    ''
  ].join('\n');

  // The value of the `Authorization` header (any case) in the Headers pane, or undefined.
  function authorizationOf(headers) {
    if (!headers || typeof headers !== 'object') return undefined;
    for (var key in headers) {
      if (Object.prototype.hasOwnProperty.call(headers, key) && key.toLowerCase() === 'authorization') {
        return headers[key] == null ? undefined : String(headers[key]);
      }
    }
    return undefined;
  }

  // One WebSocket client per Authorization value: a new token opens a new connection.
  var socket = { authorization: null, client: null };
  function wsClientFor(authorization) {
    if (socket.client && socket.authorization === authorization) return socket.client;
    if (socket.client) socket.client.dispose();
    socket.authorization = authorization;
    socket.client = window.graphqlWs.createClient({
      url: wsUrl,
      lazy: true,
      connectionParams: authorization === undefined ? {} : { Authorization: authorization }
    });
    return socket.client;
  }

  function fetcher(params, options) {
    var authorization = authorizationOf(options && options.headers);
    return window.GraphiQL.createFetcher({
      url: httpUrl,
      subscriptionUrl: wsUrl,
      wsClient: wsClientFor(authorization)
    })(params, options);
  }

  var root = window.ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    window.React.createElement(window.GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultHeaders: DEFAULT_HEADERS,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false
    })
  );
})();
