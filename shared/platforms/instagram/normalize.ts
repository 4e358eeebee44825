/** Instagram webhooks (`object: instagram`): the Meta adapter, routed by Instagram account id. */
import { createMetaAdapter } from '../meta/normalize';

export const instagramAdapter = createMetaAdapter('instagram');
