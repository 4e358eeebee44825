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

/** Each base64url character's six bits, by character code. */
const SIXTETS = new Uint8Array(128);
Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', (c, i) => (SIXTETS[c.charCodeAt(0)] = i));

/** Reused by every id: 26 character codes joined once (appending one by one builds a deep rope that every later regex test or serialization of the id must flatten). */
const codes: number[] = new Array<number>(26).fill(0);

/**
 * The first 128 bits of a base64url digest in base32: 26 characters, the last
 * one padded. 21 characters hold 126 bits and the 22nd the top 2 of its 6.
 */
function base32FromBase64url(digest: string): string {
  let buffer = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < 22; i++) {
    buffer = (buffer << 6) | (SIXTETS[digest.charCodeAt(i)] as number);
    bits += 6;
    while (bits >= 5 && n < 25) {
      codes[n++] = ALPHABET_CODES[(buffer >>> (bits - 5)) & 31] as number;
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  // 25 characters took 125 bits; the last holds bits 125-127 and two zero bits.
  codes[25] = ALPHABET_CODES[((buffer >>> (bits - 3)) << 2) & 31] as number;
  return String.fromCharCode.apply(null, codes);
}

export type IdPart = string | number;

/** One-shot SHA-256 (Node >= 20.12) is about twice as fast as a Hash object; same bytes, same digest. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

export function hashId(prefix: string, parts: readonly IdPart[]): string {
  // The prefix is hashed too: a contact and its 1:1 conversation share their parts.
  let input = prefix + '\u0000';
  for (const part of parts) input += String(part) + '\u0000';
  // A base64url digest: a Buffer costs an allocation per digest, and hex's longer string ~60% more than the hash itself.
  const digest = oneShot ? oneShot('sha256', input, 'base64url') : createHash('sha256').update(input, 'utf8').digest('base64url');
  return prefix + '_' + base32FromBase64url(digest);
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
