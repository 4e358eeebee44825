/**
 * `kind=handshake` raw messages: the edge answered a Meta subscription check
 * (GET hub.mode=subscribe) and recorded it. The record becomes one
 * `platform.webhook.verified` for the Block it names.
 *
 * Meta verifies the app's subscription, not a Block, so a record usually names
 * no Block. Without one there is no workspace to put an envelope in (every
 * envelope needs one), so the record is rejected as `unroutable` with that
 * explanation: it still reaches the event log through `webhook-rejected`.
 */
import { dateToIso } from '../platform-kit/time';
import { isObj, optId } from '../platform-kit/fields';
import { ItemProblem } from '../platform-kit/problems';
import type { Draft, MapContext } from '../platform-kit/types';

/** The Block a handshake record names, if any. */
export function handshakeBlockId(record: unknown): string | undefined {
  return optId(record, 'block_id');
}

export function checkHandshake(record: unknown): string | undefined {
  if (!isObj(record)) return 'the handshake record is not a JSON object';
  if (record.kind !== 'webhook.verified') return `handshake record kind is ${JSON.stringify(record.kind)}, not "webhook.verified"`;
  if (!dateToIso(record.verified_at)) return 'handshake record verified_at is missing or not an ISO time';
  return undefined;
}

export function mapHandshake(record: Record<string, unknown>, ctx: MapContext): Draft[] {
  const verifiedAt = dateToIso(record.verified_at);
  if (!verifiedAt) throw new ItemProblem('invalid', 'verified_at is missing');
  const detail: Record<string, unknown> = {};
  if (record.verify_token_index !== undefined) detail.verify_token_index = record.verify_token_index;
  return [
    {
      type: 'platform.webhook.verified',
      timestamp: verifiedAt,
      data: { verified_at: verifiedAt },
      rawId: `webhook.verified:${ctx.platform}:${verifiedAt}`,
      kind: 'hub.subscribe',
      detail,
    },
  ];
}
