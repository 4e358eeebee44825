/** Instagram webhooks (`object: instagram`): the Meta adapter, routed by Instagram account id. */
import { metaNormalizer } from '../meta/normalize';

export const normalizer = metaNormalizer('instagram');
