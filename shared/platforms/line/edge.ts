/**
 * LINE: the channel secret belongs to a Block, named by the body's
 * `destination` (the bot's user id). The body is read for that lookup only;
 * the Block (and so the workspace) comes from our registry, and nothing is
 * accepted until the signature made with that Block's secret checks out.
 *
 * The LINE console's "Verify" button sends a signed `{"destination":…,"events":[]}`:
 * it goes through the same path and is published like any delivery (one message
 * per request, kind 'webhook'); the normalizer sees an empty `events` array.
 */
import { connectedOn } from '../../contracts/blocks';
import { configErrorOnce } from '../../platform-kit/config-error';
import { singleHeader } from '../../platform-kit/headers';
import type { EdgeAdapter } from '../../platform-kit/types';
import { LINE_SIGNATURE_HEADER, verifyLineSignature } from './verify';

export const edge: EdgeAdapter = {
  platform: 'line',
  needsRegistry: true,
  async authenticate({ rawBody, headers, json }, { registry, log }) {
    // No Firestore read for requests that cannot possibly pass.
    if (!singleHeader(headers, LINE_SIGNATURE_HEADER)) return { ok: false, reason: 'missing_signature' };
    const destination = json.destination;
    if (typeof destination !== 'string' || destination === '' || !registry) {
      return { ok: false, reason: 'unknown_destination' };
    }
    const block = connectedOn(await registry.byAccount('line', destination), 'line');
    if (!block) return { ok: false, reason: 'unknown_destination' };
    const stored = await registry.secrets(block.block_id);
    const all = stored?.line_channel_secrets ?? [];
    // A secret rotated out through the blocks API is accepted until its grace period ends, then only the current one.
    const graceUntil = stored?.line_secret_grace_until;
    const secrets = graceUntil !== undefined && !(Date.parse(graceUntil) > Date.now()) ? all.slice(0, 1) : all;
    if (secrets.length === 0) {
      configErrorOnce(log, `line-secret:${block.block_id}`, 'LINE Block has no channel secret: its webhooks are rejected', {
        block_id: block.block_id,
        workspace_id: block.workspace_id,
      });
    }
    const result = verifyLineSignature(rawBody, headers, secrets);
    if (!result.ok) return result;
    return { ok: true, block: { block_id: block.block_id, workspace_id: block.workspace_id } };
  },
};
