// A retailer card that Relay can refetch by its global id.
// Read by relay-compiler only (it extracts graphql`…` templates); never run.
const graphql = String.raw;

export const retailerCard = graphql`
  fragment RetailerCard_user on User @refetchable(queryName: "RetailerCardRefetchQuery") {
    nodeId
    id
    name
    email
    region
  }
`;
