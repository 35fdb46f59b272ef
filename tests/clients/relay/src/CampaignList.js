// The campaign list, paginated backwards (last/before) by Relay's @connection.
// Read by relay-compiler only (it extracts graphql`…` templates); never run.
const graphql = String.raw;

export const campaignList = graphql`
  fragment CampaignList_query on Query
  @refetchable(queryName: "CampaignListPaginationQuery")
  @argumentDefinitions(count: { type: "Int", defaultValue: 2 }, cursor: { type: "String" }) {
    campaigns(last: $count, before: $cursor) @connection(key: "CampaignList_campaigns") {
      totalCount
      edges {
        node {
          nodeId
          name
        }
      }
    }
  }
`;
