/** Messenger webhooks (`object: page`): the Meta adapter, routed by page id. */
import { metaNormalizer } from '../meta/normalize';

export const normalizer = metaNormalizer('messenger');
