import { metaEdge } from '../meta/edge';

export const messengerEdge = metaEdge('messenger');
