/** Messenger webhooks (`object: page`): the Meta adapter, routed by page id. */
import { createMetaAdapter } from '../meta/normalize';

export const messengerAdapter = createMetaAdapter('messenger');
