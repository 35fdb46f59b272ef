// A campaign card that Relay can refetch by its global id (Node.nodeId → node(id:)).
// Read by relay-compiler only (it extracts graphql`…` templates); never run.
const graphql = String.raw;

export const campaignCard = graphql`
  fragment CampaignCard_campaign on Campaign @refetchable(queryName: "CampaignCardRefetchQuery") {
    nodeId
    id
    name
    status
    budgetSpent
    performance {
      totalEmailsSent
      openRate
      clickRate
      totalRevenue
    }
  }
`;
