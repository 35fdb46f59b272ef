// Type-level checks of the generated TypedDocumentNodes: `tsc --noEmit --strict` must accept
// this file. Each @ts-expect-error must be needed, so the generated types are not `any`.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import {
  CampaignPageDocument,
  type CampaignPageQuery,
  type CampaignPageQueryVariables,
  OverviewDocument,
  type OverviewQuery,
  type OverviewQueryVariables,
  RetailerPageDocument,
  type RetailerPageQuery,
  type RetailerPageQueryVariables,
} from './__generated__/graphql';

export const totalCount: OverviewQuery['campaigns']['totalCount'] = 1;
// @ts-expect-error totalCount is a number, not a string
export const wrongTotalCount: OverviewQuery['campaigns']['totalCount'] = 'one';

type Card = OverviewQuery['campaigns']['edges'][number]['node'];
export const sent = (card: Card): number => card.performance.totalEmailsSent;
export const status = (card: Card): 'ACTIVE' | 'COMPLETED' | 'DRAFT' | 'PAUSED' | string => card.status;

export const campaignVariables: CampaignPageQueryVariables = { id: '00000000-0000-0000-0000-000000000000' };
// @ts-expect-error CampaignPage needs its id
export const missingId: CampaignPageQueryVariables = {};

export const revenue = (page: CampaignPageQuery): string | undefined => page.campaign?.performance.totalRevenue;
export const clicks = (page: RetailerPageQuery): number | undefined => page.retailer?.sends.totalCount;

// The documents carry their result and variables types.
export const documents: [
  TypedDocumentNode<OverviewQuery, OverviewQueryVariables>,
  TypedDocumentNode<CampaignPageQuery, CampaignPageQueryVariables>,
  TypedDocumentNode<RetailerPageQuery, RetailerPageQueryVariables>,
] = [OverviewDocument, CampaignPageDocument, RetailerPageDocument];
