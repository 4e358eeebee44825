import { metaEdge } from '../meta/edge';

export const whatsappEdge = metaEdge('whatsapp');
