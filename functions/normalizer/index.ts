/**
 * normalizer: Pub/Sub push on `webhook-raw` → envelopes on `events`, rejected
 * items on `webhook-rejected`. Wiring only; the logic is shared/normalize/.
 */
import { http } from '@google-cloud/functions-framework';
import { firestoreRouter } from '../../shared/normalize/firestore-router';
import { createNormalizerHandler } from '../../shared/normalize/handler';
import type { Router } from '../../shared/normalize/router';
import { requirePushAuth } from '../../shared/runtime/push-auth';

let router: Router | undefined;

export const normalizer = requirePushAuth('normalizer', createNormalizerHandler({ router: () => (router ??= firestoreRouter()) }));

http('normalizer', normalizer);
