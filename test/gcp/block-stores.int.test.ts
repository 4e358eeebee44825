/**
 * The Block registry spans two Firestore databases (shared/contracts/blocks.ts): Blocks
 * and lookups in `(default)`, their secrets in a database of their own, so
 * that IAM can grant the secrets to the webhooks that verify with them alone.
 * Against the Firestore emulator, which keeps named databases apart as
 * production does.
 */
import { randomBytes } from 'node:crypto';
import {
  BLOCK_SECRETS,
  blockCacheTtlMs,
  blockSecretsDatabase,
  blockStores,
  DEFAULT_BLOCK_SECRETS_DATABASE,
  FirestoreBlockRegistry,
  saveBlock,
} from '../../shared/contracts/blocks';
import { isDocumentId } from '../../shared/runtime/doc-id';
import { ConfigError } from '../../shared/runtime/env';

const run = randomBytes(4).toString('hex');
const block = {
  block_id: `blk_stores_${run}`,
  workspace_id: `ws_${run}`,
  platform: 'line' as const,
  account_id: `U${run}`,
  status: 'connected' as const,
};
const secrets = { line_channel_secrets: [`secret-${run}`] };

beforeAll(async () => {
  await saveBlock(blockStores(), block, secrets);
});

it('writes the secrets to the secrets database only, and the Block and its lookup to the default one', async () => {
  const { registry, secrets: secretsDb } = blockStores();
  expect((await secretsDb.collection(BLOCK_SECRETS).doc(block.block_id).get()).data()).toEqual(secrets);
  expect((await registry.collection(BLOCK_SECRETS).doc(block.block_id).get()).exists).toBe(false);
  expect((await registry.collection('blocks').doc(block.block_id).get()).data()).toEqual(block);
  expect((await secretsDb.collection('blocks').doc(block.block_id).get()).exists).toBe(false);
});

it('reads secrets through a registry given the secrets database, and refuses without it', async () => {
  const stores = blockStores();
  const withSecrets = new FirestoreBlockRegistry(stores, 0);
  expect(await withSecrets.byAccount('line', block.account_id)).toEqual(block);
  expect(await withSecrets.secrets(block.block_id)).toEqual(secrets);

  // What the normalizer builds: routing works, secrets are out of reach.
  const routingOnly = new FirestoreBlockRegistry({ registry: stores.registry }, 0);
  expect(await routingOnly.byAccount('line', block.account_id)).toEqual(block);
  await expect(routingOnly.secrets(block.block_id)).rejects.toThrow(/without the secrets database/);
});

it('finds no Block for an account id that cannot be part of a document id, rather than failing the lookup', async () => {
  // Account ids come from payloads: `Uabc/def` would otherwise be a path and the read would throw (a 503, or a batch retried).
  const registry = new FirestoreBlockRegistry(blockStores(), 0);
  for (const id of ['Uabc/def', 'x'.repeat(1600)]) {
    expect(await registry.byAccount('line', id)).toBeUndefined();
  }
  expect(await registry.secrets('a/b')).toBeUndefined();
  expect(await registry.secrets('..')).toBeUndefined();
});

it("knows Firestore's document id rules", () => {
  for (const id of ['blk_1', 'line:U1', 'a.b', '_x_']) expect(isDocumentId(id)).toBe(true);
  for (const id of ['', '.', '..', 'a/b', '__x__', 'é'.repeat(751)]) expect(isDocumentId(id)).toBe(false);
});

it('reads BLOCK_CACHE_TTL_MS, 60 s by default, and refuses a bad value', () => {
  expect(blockCacheTtlMs({})).toBe(60_000);
  expect(blockCacheTtlMs({ BLOCK_CACHE_TTL_MS: '0' })).toBe(0);
  for (const value of ['abc', '-1', '1.5']) expect(() => blockCacheTtlMs({ BLOCK_CACHE_TTL_MS: value })).toThrow(ConfigError);
});

it('names the secrets database BLOCK_SECRETS_DATABASE, block-secrets by default', () => {
  expect(blockSecretsDatabase({})).toBe(DEFAULT_BLOCK_SECRETS_DATABASE);
  expect(blockSecretsDatabase({ BLOCK_SECRETS_DATABASE: 'tenant-secrets' })).toBe('tenant-secrets');
});
