/**
 * Unrouted entries made the way the pipeline makes them: a webhook body
 * normalized with the real Firestore router while no Block claims its
 * account, its rejections (and, unless not, the body itself) pushed to the
 * event log function. The events API, the Event Log page and the events CLI
 * tests list and replay these.
 */
import { rawAttributes } from '../../shared/contracts/raw-message';
import type { RejectedItem } from '../../shared/contracts/rejection';
import { firestoreRouter } from '../../shared/normalize/firestore-router';
import { normalize } from '../../shared/normalize/normalize';
import { rejectionAttributes } from '../../shared/normalize/publish-rejection';
import type { Platform } from '../../shared/platforms';
import { getFirestore } from '../../shared/runtime/gcp';
import { push } from '../event-log/support';
import { uniqueName } from './names';

export interface Delivery {
  body: string;
  attributes: Record<string, string>;
  rejections: RejectedItem[];
}

/** A WhatsApp text message item, for `whatsappBody`. */
export const whatsappMessage = (wamid: string, text: string) => ({
  from: '4915112345678',
  id: wamid,
  timestamp: '1711880130',
  type: 'text',
  text: { body: text },
});

/** A WhatsApp webhook body for the phone number `phone` (the account a Block would claim). */
export const whatsappBody = (phone: string, messages: unknown[]) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: '102000000000001',
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550001111', phone_number_id: phone },
            contacts: [{ profile: { name: 'Jonas' }, wa_id: '4915112345678' }],
            messages,
          },
        },
      ],
    },
  ],
});

/**
 * Delivers `body` to the event log function at `eventLogUrl` as the pipeline would with no Block connected:
 * the body stored in the raw store (so a replay gets as far as routing; `storeBody: false` for one it never got),
 * normalized, every rejection pushed. Fails unless the normalizer made no envelope.
 */
export async function deliverUnrouted(
  eventLogUrl: string,
  platform: Platform,
  body: unknown,
  receivedAt: string,
  opts: { storeBody?: boolean } = {},
): Promise<Delivery> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const attributes = rawAttributes({
    platform,
    kind: 'webhook',
    received_at: receivedAt,
    request_id: uniqueName('req'),
    content_type: 'application/json',
  });
  if (opts.storeBody !== false) {
    const stored = await push(eventLogUrl, { data: text, attributes }, 'event-log-raw');
    if (stored.status !== 204) throw new Error(`storing the webhook body failed: ${stored.status}`);
  }
  const out = await normalize(
    { platform, kind: 'webhook', body: text, receivedAt, requestId: attributes.request_id },
    firestoreRouter(getFirestore()),
  );
  if (out.envelopes.length) throw new Error(`expected no envelope (no Block connected), got ${out.envelopes.length}`);
  for (const r of out.rejections) {
    const res = await push(eventLogUrl, { data: JSON.stringify(r), attributes: rejectionAttributes(r) }, 'event-log-rejected');
    if (res.status !== 204) throw new Error(`seeding the unrouted item ${r.id} failed: ${res.status}`);
  }
  return { body: text, attributes, rejections: out.rejections };
}
