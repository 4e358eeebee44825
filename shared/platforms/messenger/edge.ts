/** Messenger's webhook function: the Meta signature and handshake (shared/platforms/meta/). */
import { metaEdge } from '../meta/edge';

export const edge = metaEdge('messenger');
