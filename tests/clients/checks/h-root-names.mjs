// h. The root operation types are named Query, Mutation and Subscription, in introspection as
// in schema.graphql.
import { buildSchema } from 'graphql';
import { check, data, repoFile } from '../lib/common.mjs';

await check('h-root-names', async (t) => {
  const { __schema: s } = await data('{ __schema { queryType { name } mutationType { name } subscriptionType { name } } }');
  const file = buildSchema(repoFile('schema.graphql'));
  const expected = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' };
  const actual = { query: s.queryType?.name, mutation: s.mutationType?.name, subscription: s.subscriptionType?.name };
  t.equal('introspection', actual, expected, 'queryType Query, mutationType Mutation, subscriptionType Subscription');
  t.equal('schema.graphql',
    { query: file.getQueryType()?.name, mutation: file.getMutationType()?.name, subscription: file.getSubscriptionType()?.name },
    expected, 'schema.graphql names the same roots');
});
