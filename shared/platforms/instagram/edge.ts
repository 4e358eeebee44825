import { metaEdge } from '../meta/edge';

export const instagramEdge = metaEdge('instagram');
