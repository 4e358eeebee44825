/**
 * HTTP function `triggers`: the push endpoint of the `triggers` subscription
 * on `events`. Wiring only; the logic is in shared/triggers.
 */
import { http } from '@google-cloud/functions-framework';
import { envelopeConsumer } from '../../shared/runtime/consumer';
import { createTriggersService } from '../../shared/triggers';
import { requirePushAuth } from '../../shared/runtime/push-auth';

export const service = createTriggersService();
export const triggers = requirePushAuth('triggers', envelopeConsumer('triggers', service.handle));
http('triggers', triggers);
