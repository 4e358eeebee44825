/**
 * Deterministic ids. The same thing always gets the same id: a redelivered
 * webhook yields the same `evt_` id, so every consumer dedupes by id for free,
 * and hashed ids spread Firestore writes where sequential ids would hotspot.
 *
 * An id is a prefix and the first 128 bits of SHA-256 over the identity's
 * parts, in lowercase base32 (26 characters). Parts are joined with a
 * separator that cannot occur in them, so ("a:b","c") and ("a","b:c") differ.
 */
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lowercase

const ALPHABET_CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));

/** The first 128 bits of a hex digest (32 hex digits) in base32: 26 characters, the last one padded. */
function base32FromHex(hex: string): string {
  // Character codes joined once: appending 26 characters one by one builds a deep
  // rope that every later regex test or serialization of the id must flatten first.
  const codes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < 32; i++) {
    const c = hex.charCodeAt(i); // digests are lowercase hex: '0'-'9' or 'a'-'f'
    buffer = (buffer << 4) | (c <= 57 ? c - 48 : c - 87);
    bits += 4;
    if (bits >= 5) {
      codes.push(ALPHABET_CODES[(buffer >>> (bits - 5)) & 31] as number);
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) codes.push(ALPHABET_CODES[(buffer << (5 - bits)) & 31] as number);
  return String.fromCharCode(...codes);
}

export type IdPart = string | number;

/** One-shot SHA-256 (Node >= 20.12) is about twice as fast as a Hash object; same bytes, same digest. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

export function hashId(prefix: string, parts: readonly IdPart[]): string {
  // The prefix is hashed too: a contact and its 1:1 conversation share their parts.
  let input = prefix + '\u0000';
  for (const part of parts) input += String(part) + '\u0000';
  // A hex digest, not a Buffer: Node allocates a Buffer per digest, which costs ~4x the hash itself.
  const hex = oneShot ? oneShot('sha256', input, 'hex') : createHash('sha256').update(input, 'utf8').digest('hex');
  return prefix + '_' + base32FromHex(hex);
}

/**
 * An event: platform, Block, type, the platform's id for the event, and
 * whatever tells apart two events on one platform id (a status, an emoji, a
 * batch position for platforms whose ids repeat inside a batch).
 */
export function eventId(p: {
  platform: string;
  blockId: string | null;
  type: string;
  rawId: string;
  discriminator?: readonly IdPart[];
}): string {
  return hashId('evt', [p.platform, p.blockId ?? '', p.type, p.rawId, ...(p.discriminator ?? [])]);
}

/** A contact: one per workspace, Block and platform user. */
export function contactId(workspaceId: string, blockId: string, platformUserId: string): string {
  return hashId('ct', [workspaceId, blockId, platformUserId]);
}

/** A conversation: one per workspace, Block and platform thread. */
export function conversationId(workspaceId: string, blockId: string, platformConversationId: string): string {
  return hashId('conv', [workspaceId, blockId, platformConversationId]);
}

/** A message: one per Block and platform message id. */
export function messageId(blockId: string, platformMessageId: string): string {
  return hashId('msg', [blockId, platformMessageId]);
}

/** A Workflow execution started by one event: exactly one per (event, workflow). */
export function executionId(workspaceId: string, workflowId: string, eventIdValue: string): string {
  return hashId('exe', [workspaceId, workflowId, eventIdValue]);
}
