/**
 * The Block registry: which workspace and Block an account belongs to, and the
 * per-Block secrets the edge verifies with. Routing always comes from here,
 * never from what a payload claims.
 *
 * Firestore layout, in two databases (BlockStores):
 *   (default)      blocks/{block_id}                the Block (no secrets)
 *                  block_accounts/{platform}:{key}  direct lookup: account id -> Block
 *   block-secrets  block_secrets/{block_id}         its secrets
 *
 * The secrets have a database of their own because Firestore IAM grants a
 * whole database: in `(default)`, every function that keeps state there could
 * read them. Only the functions that verify with them (webhook-line,
 * webhook-telegram: `firestore.block_secrets` in topology.json) are granted the
 * secrets database (terraform/iam.tf). Its name is BLOCK_SECRETS_DATABASE.
 *
 * Lookup keys: Meta page / Instagram account id, WhatsApp phone_number_id, LINE
 * bot user id (`destination`), and for Telegram `token:` + sha256 of each valid
 * secret token (Telegram updates do not name the bot; the header identifies it).
 */
import { createHash } from 'node:crypto';
import type { Firestore } from '@google-cloud/firestore';
import { isDocumentId } from '../runtime/doc-id';
import { envNumber } from '../runtime/env';
import { getFirestore } from '../runtime/gcp';
import { TtlCache } from '../runtime/ttl-cache';
import type { Platform } from '../platforms';

/** The secrets database's name when BLOCK_SECRETS_DATABASE is unset; topology.json's `firestore.block_secrets_database` (a test ties the two). */
export const DEFAULT_BLOCK_SECRETS_DATABASE = 'block-secrets';

/** BLOCK_CACHE_TTL_MS: how long lookups and secrets are cached, 60 s by default; a bad value fails at load. */
export function blockCacheTtlMs(env: NodeJS.ProcessEnv = process.env): number {
  return envNumber(env, 'BLOCK_CACHE_TTL_MS', 60_000, { integer: true, min: 0 });
}

export function blockSecretsDatabase(env: NodeJS.ProcessEnv = process.env): string {
  return env.BLOCK_SECRETS_DATABASE || DEFAULT_BLOCK_SECRETS_DATABASE;
}

/** The two databases the registry spans. */
export interface BlockStores {
  /** `blocks` and `block_accounts`: readable by every function that routes. */
  registry: Firestore;
  /** `block_secrets`: readable only by the functions that verify with them. */
  secrets: Firestore;
}

/** This process's clients for both (the emulator serves any database name). */
export function blockStores(env: NodeJS.ProcessEnv = process.env): BlockStores {
  return { registry: getFirestore(), secrets: getFirestore(blockSecretsDatabase(env)) };
}

export interface Block {
  block_id: string;
  workspace_id: string;
  platform: Platform;
  /** The platform's id of the connected account (page id, phone_number_id, LINE bot user id, Telegram bot id). */
  account_id: string;
  name?: string;
  /**
   * `connecting`: written before the platform confirmed (LINE's webhook test
   * must find the Block and its secret at the edge); the edge accepts its
   * deliveries, but it is not announced, and a failed connect removes it.
   */
  status: 'connecting' | 'connected' | 'disconnected';
}

export interface BlockSecrets {
  /** LINE channel secrets, current first; several during a rotation. */
  line_channel_secrets?: string[];
  /**
   * While a rotated-out LINE channel secret is still accepted: until when (ISO
   * 8601). After it, the edge uses the current secret alone, and the next
   * rotate or check drops the old one from this document.
   */
  line_secret_grace_until?: string;
  /** The LINE channel access token, kept for disconnect, check and rotate; like telegram_bot_token, only here. */
  line_channel_access_token?: string;
  /** Telegram setWebhook secret tokens, current first. */
  telegram_secret_tokens?: string[];
  /**
   * The bot token from @BotFather, kept for disconnect, check and rotate
   * (shared/blocks/). Only here, in the secrets database: never in the Block,
   * an event, a log line or an API answer.
   */
  telegram_bot_token?: string;
  /** The Meta access token (Page or system user) and the ids it manages, kept for disconnect and check; only here. */
  meta_access_token?: string;
  meta_page_id?: string;
  meta_waba_id?: string;
  meta_phone_number_id?: string;
}

export interface BlockRegistry {
  /** The Block connected to this platform account, if any. */
  byAccount(platform: Platform, accountId: string): Promise<Block | undefined>;
  /** The Telegram Block whose secret token this is, if any. */
  byTelegramSecretToken(token: string): Promise<Block | undefined>;
  secrets(blockId: string): Promise<BlockSecrets | undefined>;
}

/** The collection of per-Block secrets, in the secrets database. */
export const BLOCK_SECRETS = 'block_secrets';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export function accountKey(platform: Platform, accountId: string): string {
  return `${platform}:${accountId}`;
}

export function telegramTokenKey(token: string): string {
  return `telegram:token:${sha256Hex(token)}`;
}

/**
 * Whether a Block may authenticate requests and receive events: a
 * disconnected one may not, though its lookups and secrets may linger.
 */
export function isConnected(block: Block | undefined): block is Block {
  return block !== undefined && block.status !== 'disconnected';
}

/** The Block when it is connected on `platform`; undefined for no Block, another platform's, or a disconnected one. */
export function connectedOn(block: Block | undefined, platform: Platform): Block | undefined {
  return isConnected(block) && block.platform === platform ? block : undefined;
}

export class FirestoreBlockRegistry implements BlockRegistry {
  private readonly cache: TtlCache<unknown>;
  private readonly db: Firestore;
  private readonly secretsDb: Firestore | undefined;

  /**
   * `stores.secrets` only for a function granted the secrets database; without
   * it, `secrets()` fails (routing needs no secrets, and should not hold them).
   */
  constructor(stores: { registry: Firestore; secrets?: Firestore }, ttlMs = blockCacheTtlMs()) {
    this.cache = new TtlCache(ttlMs);
    this.db = stores.registry;
    this.secretsDb = stores.secrets;
  }

  private async lookup(key: string): Promise<Block | undefined> {
    // The account id comes from the payload: one that cannot be a document id (a `/` in it) names no Block.
    if (!isDocumentId(key)) return undefined;
    return (await this.cache.get(`lookup:${key}`, async () => {
      const link = await this.db.collection('block_accounts').doc(key).get();
      const blockId = link.get('block_id') as string | undefined;
      if (!blockId) return undefined;
      const block = await this.db.collection('blocks').doc(blockId).get();
      return block.exists ? (block.data() as Block) : undefined;
    })) as Block | undefined;
  }

  byAccount(platform: Platform, accountId: string): Promise<Block | undefined> {
    return this.lookup(accountKey(platform, accountId));
  }

  byTelegramSecretToken(token: string): Promise<Block | undefined> {
    return this.lookup(telegramTokenKey(token));
  }

  async secrets(blockId: string): Promise<BlockSecrets | undefined> {
    const db = this.secretsDb;
    if (!db) throw new Error('this Block registry was built without the secrets database (BlockStores.secrets)');
    if (!isDocumentId(blockId)) return undefined;
    return (await this.cache.get(`secrets:${blockId}`, async () => {
      const doc = await db.collection(BLOCK_SECRETS).doc(blockId).get();
      return doc.exists ? (doc.data() as BlockSecrets) : undefined;
    })) as BlockSecrets | undefined;
  }
}

/** A registry held in memory: for the normalize CLI, tests and benchmarks. */
export class StaticBlockRegistry implements BlockRegistry {
  constructor(private readonly blocks: Array<Block & { secrets?: BlockSecrets }>) {}

  async byAccount(platform: Platform, accountId: string): Promise<Block | undefined> {
    return this.blocks.find((b) => b.platform === platform && b.account_id === accountId);
  }

  async byTelegramSecretToken(token: string): Promise<Block | undefined> {
    return this.blocks.find((b) => b.platform === 'telegram' && b.secrets?.telegram_secret_tokens?.includes(token));
  }

  async secrets(blockId: string): Promise<BlockSecrets | undefined> {
    return this.blocks.find((b) => b.block_id === blockId)?.secrets;
  }
}

/**
 * Writes a Block, its secrets and its lookup documents. Used by the local
 * stack's seed and by tests; production Blocks are written by the Block
 * connection service with the same layout. The secrets go first: no batch
 * spans two databases, and a Block findable before its secrets exist would
 * fail its first requests with `secret_not_configured`.
 */
export async function saveBlock(stores: BlockStores, block: Block, secrets: BlockSecrets = {}): Promise<void> {
  await stores.secrets.collection(BLOCK_SECRETS).doc(block.block_id).set(secrets);
  const db = stores.registry;
  const batch = db.batch();
  batch.set(db.collection('blocks').doc(block.block_id), block);
  const link = { block_id: block.block_id, workspace_id: block.workspace_id };
  batch.set(db.collection('block_accounts').doc(accountKey(block.platform, block.account_id)), link);
  for (const token of secrets.telegram_secret_tokens ?? []) {
    batch.set(db.collection('block_accounts').doc(telegramTokenKey(token)), link);
  }
  await batch.commit();
}
