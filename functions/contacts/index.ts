/**
 * HTTP function `contacts`: the push endpoint of the `contacts` subscription
 * on `events`. Wiring only; the logic is in shared/contacts.
 */
import { http } from '@google-cloud/functions-framework';
import { envelopeConsumer } from '../../shared/runtime/consumer';
import { createContactsService } from '../../shared/contacts';
import { requirePushAuth } from '../../shared/runtime/push-auth';

export const contacts = requirePushAuth('contacts', envelopeConsumer('contacts', createContactsService().handle));
http('contacts', contacts);
