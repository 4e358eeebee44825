/**
 * The Block connection service: connects, disconnects, rotates and checks
 * Blocks, with a platform's connector (shared/platform-kit/connect.ts) doing
 * the talking to the platform. This module owns the order of the steps, the
 * undo, idempotency, the Block registry's documents (shared/contracts/blocks.ts)
 * and the platform.block.* events.
 *
 * connect: identify the credentials → register our webhook → confirm the
 * platform accepted it → write the secrets, the Block and its lookups
 * (saveBlock) → publish platform.block.connected. A connector with
 * `confirmNeedsBlock` (LINE: its webhook test must find the Block's secret at
 * the edge) has the Block written first as `connecting`, and removed again if
 * register or confirm fails. A failure after register
 * unregisters at the platform and removes whatever was written: no
 * half-connected Block. The Block id is a hash of platform, account and
 * workspace, so the same request twice is the same Block; the second finds it
 * connected and changes nothing (one connected event: its id is derived from
 * the Block and its connection generation, so even a re-sent event is one).
 *
 * Credentials and secrets go only to the platform and the secrets database:
 * never to a log line, an event or an answer (present() picks the fields).
 */
import { randomUUID } from 'node:crypto';
import type { DocumentData, DocumentReference } from '@google-cloud/firestore';
import { accountKey, BLOCK_SECRETS, saveBlock, telegramTokenKey, type Block, type BlockStores } from '../contracts/blocks';
import type { EnvelopePublisher } from '../envelope/publish';
import { hashId } from '../envelope/ids';
import { BLOCK_SERVICE_EVENT_TYPES, internalEnvelope } from '../events-api/internal-events';
import { ApiError, badRequest } from '../events-api/http';
import {
  ConnectError,
  type ConnectContext,
  type ConnectedAccount,
  type Connector,
  type ConnectorSecrets,
  type WebhookStatus,
} from '../platform-kit/connect';
import { isPlatform, PLATFORMS, type Platform } from '../platforms';
import type { Logger } from '../runtime/log';
import type { PlatformConnection } from './config';

/** A Block as stored in `blocks/{id}`: the registry's fields plus the connection's history. */
export interface StoredBlock extends Block {
  connected_at?: string;
  disconnected_at?: string;
  /** Counts connections of this Block; names its connected/disconnected events. */
  generation?: number;
  /** The generation whose platform.block.connected was published. */
  announced_generation?: number;
}

/** What the API shows of a Block: never a secret. */
export interface PublicBlock {
  block_id: string;
  workspace_id: string;
  platform: Platform;
  account_id: string;
  name?: string;
  status: Block['status'];
  connected_at?: string;
  disconnected_at?: string;
}

export interface BlockServiceDeps {
  stores: BlockStores;
  publisher: () => EnvelopePublisher;
  platforms: Partial<Record<Platform, PlatformConnection>>;
  fetch: typeof fetch;
  log: Logger;
  now: () => Date;
}

/**
 * `block_connect_leases/{platform}:{account}` in (default): held while a
 * connect talks to the platform, so two connects of one account (a double
 * click, two workspaces) cannot interleave. Longer than a connect's platform
 * calls (15 s each at most); a lease left by a crashed instance expires.
 */
export const CONNECT_LEASES = 'block_connect_leases';
export const CONNECT_LEASE_MS = 90_000;

export function blockIdFor(platform: Platform, accountId: string, workspaceId: string): string {
  return hashId('blk', [platform, accountId, workspaceId]);
}

export function present(block: StoredBlock): PublicBlock {
  return {
    block_id: block.block_id,
    workspace_id: block.workspace_id,
    platform: block.platform,
    account_id: block.account_id,
    ...(block.name !== undefined ? { name: block.name } : {}),
    status: block.status,
    ...(block.connected_at ? { connected_at: block.connected_at } : {}),
    ...(block.disconnected_at ? { disconnected_at: block.disconnected_at } : {}),
  };
}

const STATUS: Record<ConnectError['reason'], number> = { bad_credentials: 400, not_accepted: 422, platform_error: 502 };

/** A connector's failure as the API's answer: the platform's own reason, nothing of the credentials. */
export function apiErrorOf(err: ConnectError, platform: Platform): ApiError {
  return new ApiError(STATUS[err.reason], err.reason, `${platform}: ${err.message}`, {
    platform,
    ...(err.platformCode ? { platform_code: err.platformCode } : {}),
  });
}

/** The registry's lookup documents for a Block and its secrets (the ones saveBlock writes). */
export function lookupKeys(block: Pick<Block, 'platform' | 'account_id'>, secrets: ConnectorSecrets): string[] {
  const tokens = secrets.telegram_secret_tokens ?? [];
  return [accountKey(block.platform, block.account_id), ...tokens.map(telegramTokenKey)];
}

/** How many Blocks the scheduled check (checkAll) asks their platforms about at once. */
export const CHECK_CONCURRENCY = 8;

/** A Block the scheduled check found failing: where, which, and the code of what is wrong (never a secret). */
export interface FailingBlock {
  workspace_id: string;
  block_id: string;
  platform: Platform;
  /** platform.block.error's `error.code`, or the API error's code when the check itself could not run (`platform_error`…). */
  reason: string;
  /** The platform's own words (or the API error's message). */
  message: string;
  /** The platform.block.error published for it; absent when the check could not run (the platform failed, not the Block). */
  error_event_id?: string;
}

export interface CheckSummary {
  checked: number;
  failing: FailingBlock[];
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class BlockService {
  constructor(private readonly deps: BlockServiceDeps) {}

  private get registry() {
    return this.deps.stores.registry;
  }

  private connection(platform: unknown): PlatformConnection & { platform: Platform } {
    if (!isPlatform(platform)) throw badRequest('invalid_platform', `platform must be one of ${PLATFORMS.join(', ')}`);
    const conn = this.deps.platforms[platform];
    if (!conn) throw new ApiError(501, 'not_implemented', `connecting ${platform} Blocks is not implemented yet`);
    return { ...conn, platform };
  }

  private context(conn: PlatformConnection & { platform: Platform }, log: Logger): ConnectContext {
    if (!conn.webhookUrl) {
      throw new ApiError(
        503,
        'not_configured',
        `WEBHOOK_URL_${conn.platform.toUpperCase()} is not set: the API does not know the ${conn.platform} webhook URL`,
      );
    }
    return { webhookUrl: conn.webhookUrl, apiBase: conn.apiBase, fetch: this.deps.fetch, log };
  }

  /** Runs a connector step, turning its failure into the API's answer. */
  private async step<T>(platform: Platform, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof ConnectError) throw apiErrorOf(err, platform);
      throw err;
    }
  }

  private async load(workspaceId: string, blockId: string): Promise<StoredBlock> {
    const snap = /^[A-Za-z0-9_-]{1,200}$/.test(blockId) ? await this.registry.collection('blocks').doc(blockId).get() : undefined;
    const block = snap?.exists ? (snap.data() as StoredBlock) : undefined;
    if (!block || block.workspace_id !== workspaceId)
      throw new ApiError(404, 'not_found', `no Block ${blockId} in workspace ${workspaceId}`);
    return block;
  }

  private async secretsOf(blockId: string): Promise<ConnectorSecrets> {
    const snap = await this.deps.stores.secrets.collection(BLOCK_SECRETS).doc(blockId).get();
    return (snap.exists ? snap.data() : {}) as ConnectorSecrets;
  }

  private async credentialsOf(conn: PlatformConnection & { platform: Platform }, block: StoredBlock) {
    const secrets = await this.secretsOf(block.block_id);
    return { secrets, credentials: conn.connector.storedCredentials(secrets) };
  }

  private async publish(
    block: StoredBlock,
    type: 'platform.block.connected' | 'platform.block.disconnected' | 'platform.block.error' | 'platform.webhook.verified',
    key: string,
    data: Record<string, unknown>,
  ): Promise<string> {
    const envelope = internalEnvelope(
      block.workspace_id,
      { type, block_id: block.block_id, platform: block.platform, data },
      key,
      this.deps.now(),
      BLOCK_SERVICE_EVENT_TYPES,
    );
    await this.deps.publisher().publish(envelope);
    return envelope.id;
  }

  /** Best effort: the undo of a registration. A failure is logged (never with credentials) and the original error stands. */
  private async undoRegister(connector: Connector, ctx: ConnectContext, credentials: unknown, log: Logger): Promise<void> {
    try {
      await connector.unregister(ctx, credentials);
    } catch (err) {
      log.warn('could not undo the webhook registration', {
        platform: connector.platform,
        reason: err instanceof ConnectError ? err.message : 'unexpected error',
      });
    }
  }

  private async removeLookups(blockId: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    const batch = this.registry.batch();
    for (const key of keys) {
      const ref = this.registry.collection('block_accounts').doc(key);
      const link = await ref.get();
      if (link.exists && link.get('block_id') === blockId) batch.delete(ref);
    }
    await batch.commit();
  }

  async list(workspaceId: string): Promise<PublicBlock[]> {
    const snap = await this.registry.collection('blocks').where('workspace_id', '==', workspaceId).get();
    return snap.docs.map((d) => present(d.data() as StoredBlock)).sort((a, b) => a.block_id.localeCompare(b.block_id));
  }

  async show(workspaceId: string, blockId: string): Promise<PublicBlock> {
    return present(await this.load(workspaceId, blockId));
  }

  async connect(workspaceId: string, body: DocumentData, log: Logger): Promise<{ block: PublicBlock; created: boolean }> {
    const unknown = Object.keys(body).filter((k) => !['platform', 'credentials', 'name'].includes(k));
    if (unknown.length)
      throw badRequest('unknown_parameter', `unknown field(s) ${unknown.join(', ')}; the body is {platform, credentials, name?}`);
    if (body.name !== undefined && (typeof body.name !== 'string' || body.name.length > 200))
      throw badRequest('invalid_parameter', 'name must be a string of at most 200 characters');
    const conn = this.connection(body.platform);
    const { connector, platform } = conn;
    const ctx = this.context(conn, log);
    const credentials = await this.step(platform, async () => connector.parseCredentials(body.credentials));
    const account = await this.step(platform, () => connector.identify(ctx, credentials));
    const blockId = blockIdFor(platform, account.accountId, workspaceId);
    const blockLog = log.child({ block_id: blockId, platform, account_id: account.accountId });

    // One connect per account at a time: two at once would register two secret tokens and store one.
    return this.locked(accountKey(platform, account.accountId), () =>
      this.connectAccount(workspaceId, body, conn, ctx, credentials, account, blockId, blockLog),
    );
  }

  /** Runs `run` holding the account's lease: connect, disconnect and rotate of one account never interleave. */
  private async locked<T>(key: string, run: () => Promise<T>): Promise<T> {
    const release = await this.lease(key);
    try {
      return await run();
    } finally {
      await release();
    }
  }

  /** A lease on `key` for CONNECT_LEASE_MS, or 409 connect_in_progress while another holds it. */
  private async lease(key: string): Promise<() => Promise<void>> {
    const ref = this.registry.collection(CONNECT_LEASES).doc(key);
    const holder = randomUUID();
    const now = this.deps.now().getTime();
    const got = await this.registry.runTransaction(async (tx) => {
      const current = await tx.get(ref);
      const until = current.get('until') as number | undefined;
      if (current.exists && until !== undefined && until > now) return false;
      tx.set(ref, { holder, until: now + CONNECT_LEASE_MS });
      return true;
    });
    if (!got)
      throw new ApiError(
        409,
        'connect_in_progress',
        'another connect, disconnect or rotation of this account is running; try again shortly',
      );
    return async () => {
      await this.registry
        .runTransaction(async (tx) => {
          const current = await tx.get(ref);
          if (current.get('holder') === holder) tx.delete(ref);
        })
        .catch(() => undefined);
    };
  }

  private async connectAccount(
    workspaceId: string,
    body: DocumentData,
    conn: PlatformConnection & { platform: Platform },
    ctx: ConnectContext,
    credentials: unknown,
    account: ConnectedAccount,
    blockId: string,
    blockLog: Logger,
  ): Promise<{ block: PublicBlock; created: boolean }> {
    const { connector, platform } = conn;
    const link = await this.registry.collection('block_accounts').doc(accountKey(platform, account.accountId)).get();
    const owner = link.get('block_id') as string | undefined;
    if (owner && owner !== blockId) {
      const other = await this.registry.collection('blocks').doc(owner).get();
      // A `connecting` Block there is one a crashed connect left (the lease keeps live ones out): not in use.
      if (other.exists && (other.data() as Block).status === 'connected') {
        throw new ApiError(409, 'account_in_use', `this ${platform} account is connected to another Block; disconnect it there first`);
      }
    }

    const existingSnap = await this.registry.collection('blocks').doc(blockId).get();
    const existing = existingSnap.exists ? (existingSnap.data() as StoredBlock) : undefined;
    if (existing && existing.status === 'connected') {
      // The same request again: the Block stands as it is. Its event is re-sent (same id) only if it never went out.
      await this.announce(existing, account.name);
      blockLog.info('block already connected');
      return { block: present(existing), created: false };
    }

    const secrets = connector.newSecrets(credentials);
    const generation = (existing?.generation ?? 0) + 1;
    const name = typeof body.name === 'string' ? body.name : account.name;
    const block: StoredBlock = {
      block_id: blockId,
      workspace_id: workspaceId,
      platform,
      account_id: account.accountId,
      ...(name !== undefined ? { name } : {}),
      status: 'connected',
      connected_at: this.deps.now().toISOString(),
      generation,
    };
    // A connector whose confirm makes the platform call our edge (LINE's webhook test) needs the Block, its secrets
    // and lookups there first: written as `connecting` (accepted at the edge, not announced), removed if connect fails.
    const provisional = connector.confirmNeedsBlock === true;
    try {
      if (provisional) await saveBlock(this.deps.stores, { ...block, status: 'connecting' }, secrets);
      await this.step(platform, () => connector.register(ctx, credentials, secrets));
      await this.step(platform, () => connector.confirm(ctx, credentials));
    } catch (err) {
      await this.undoRegister(connector, ctx, credentials, blockLog);
      if (provisional) await this.removeProvisional(block, existing, secrets, blockLog);
      blockLog.info('connect failed at the platform; registration undone', {
        reason: err instanceof ApiError ? err.code : 'unexpected error',
      });
      throw err;
    }

    try {
      await saveBlock(this.deps.stores, block, secrets);
    } catch (err) {
      await this.undoRegister(connector, ctx, credentials, blockLog);
      await this.removeProvisional(block, existing, secrets, blockLog);
      throw err;
    }
    // The platform verified our webhook URL during this connect (Meta's hub.challenge): said for the Block.
    if (connector.verifiesWebhook === true) {
      await this.publish(block, 'platform.webhook.verified', `webhook-verified:${blockId}:${generation}`, {
        verified_at: block.connected_at,
        account_id: block.account_id,
      });
    }
    await this.announce(block, account.name);
    blockLog.info('block connected', { generation });
    return { block: present(block), created: true };
  }

  /**
   * Undoes a connect's writes: the Block back as it was (or gone), its lookups
   * and secrets gone. Best effort, like undoRegister: the original error stands.
   */
  private async removeProvisional(
    block: StoredBlock,
    existing: StoredBlock | undefined,
    secrets: ConnectorSecrets,
    log: Logger,
  ): Promise<void> {
    try {
      const ref = this.registry.collection('blocks').doc(block.block_id);
      // The Block first: the edge refuses from that moment, whatever lingers.
      if (existing) await ref.set(existing);
      else await ref.delete();
      await this.removeLookups(block.block_id, lookupKeys(block, secrets));
      await this.deps.stores.secrets.collection(BLOCK_SECRETS).doc(block.block_id).delete();
    } catch (err) {
      log.error('could not remove a failed connect’s Block', { error: err instanceof Error ? err.message : 'unexpected error' });
    }
  }

  /** Publishes platform.block.connected for the Block's generation unless it already went out. */
  private async announce(block: StoredBlock, accountName: string | undefined): Promise<void> {
    const generation = block.generation ?? 1;
    if (block.announced_generation === generation) return;
    await this.publish(block, 'platform.block.connected', `block-connected:${block.block_id}:${generation}`, {
      account_id: block.account_id,
      ...(accountName ? { account_name: accountName } : {}),
    });
    await this.registry.collection('blocks').doc(block.block_id).update({ announced_generation: generation });
  }

  async disconnect(
    workspaceId: string,
    blockId: string,
    body: DocumentData,
    log: Logger,
  ): Promise<{ block: PublicBlock; changed: boolean }> {
    const unknown = Object.keys(body).filter((k) => k !== 'force');
    if (unknown.length) throw badRequest('unknown_parameter', `unknown field(s) ${unknown.join(', ')}; the body is {force?}`);
    if (body.force !== undefined && typeof body.force !== 'boolean') throw badRequest('invalid_parameter', 'force must be a boolean');
    const first = await this.load(workspaceId, blockId);
    return this.locked(accountKey(first.platform, first.account_id), async () => {
      const block = await this.load(workspaceId, blockId);
      if (block.status === 'disconnected') return { block: present(block), changed: false };
      const conn = this.connection(block.platform);
      const blockLog = log.child({ block_id: blockId, platform: block.platform });
      const { secrets, credentials } = await this.credentialsOf(conn, block);
      let reason = 'requested';
      if (credentials !== undefined) {
        try {
          await conn.connector.unregister(this.context(conn, log), credentials);
        } catch (err) {
          if (!(err instanceof ConnectError)) throw err;
          // Credentials the platform refuses can no longer deliver to us: disconnect anyway.
          if (err.reason !== 'bad_credentials' && body.force !== true) throw apiErrorOf(err, block.platform);
          reason = err.reason === 'bad_credentials' ? 'credentials_refused' : 'forced';
          blockLog.warn('could not unregister the webhook at the platform; disconnecting anyway', { reason: err.message });
        }
      }
      const disconnected: StoredBlock = { ...block, status: 'disconnected', disconnected_at: this.deps.now().toISOString() };
      // Disconnected first: the edge refuses from this moment, whatever lingers.
      await this.registry.collection('blocks').doc(blockId).set(disconnected);
      await this.removeLookups(blockId, lookupKeys(block, secrets));
      await this.deps.stores.secrets.collection(BLOCK_SECRETS).doc(blockId).delete();
      await this.publish(disconnected, 'platform.block.disconnected', `block-disconnected:${blockId}:${block.generation ?? 1}`, {
        account_id: block.account_id,
        reason,
      });
      blockLog.info('block disconnected', { reason });
      return { block: present(disconnected), changed: true };
    });
  }

  async rotate(workspaceId: string, blockId: string, body: DocumentData, log: Logger): Promise<{ block: PublicBlock; rotated: true }> {
    const unknown = Object.keys(body).filter((k) => k !== 'credentials');
    if (unknown.length) throw badRequest('unknown_parameter', `unknown field(s) ${unknown.join(', ')}; the body is {credentials?}`);
    const first = await this.load(workspaceId, blockId);
    return this.locked(accountKey(first.platform, first.account_id), async () => {
      const block = await this.load(workspaceId, blockId);
      if (block.status === 'disconnected') throw new ApiError(409, 'not_connected', `Block ${blockId} is disconnected`);
      const conn = this.connection(block.platform);
      const { connector, platform } = conn;
      const rotation = connector.rotate;
      if (!rotation) throw new ApiError(501, 'not_implemented', `${platform} Blocks have no secret to rotate through the API`);
      if (!rotation.parseInput && body.credentials !== undefined)
        throw badRequest('unknown_parameter', `${platform} rotation takes no credentials: the new secret is made here`);
      const input = rotation.parseInput ? await this.step(platform, async () => rotation.parseInput!(body.credentials)) : undefined;
      const ctx = this.context(conn, log);
      const { secrets, credentials } = await this.credentialsOf(conn, block);
      if (credentials === undefined)
        throw new ApiError(409, 'no_credentials', `Block ${blockId} has no stored credentials; connect it again`);
      const secretsRef = this.deps.stores.secrets.collection(BLOCK_SECRETS).doc(blockId);
      const link = { block_id: blockId, workspace_id: workspaceId };
      const before = new Set(lookupKeys(block, secrets));

      // 1. The new secret beside the old: both are accepted while the platform switches.
      const now = this.deps.now();
      const next = await this.step(platform, async () => rotation.next(rotation.settle(secrets, now), input, now));
      await secretsRef.set(next);
      const added = lookupKeys(block, next).filter((k) => !before.has(k));
      const batch = this.registry.batch();
      for (const key of added) batch.set(this.registry.collection('block_accounts').doc(key), link);
      await batch.commit();
      // 2. The platform switches to it.
      try {
        await this.step(platform, () => connector.register(ctx, credentials, next));
        // LINE: the webhook test must pass with the new secret alone, or a mistyped one would pass on the old.
        if (rotation.confirmWith) await secretsRef.set(rotation.confirmWith(next));
        await this.step(platform, () => connector.confirm(ctx, credentials));
      } catch (err) {
        await secretsRef.set(secrets);
        await this.removeLookups(blockId, added);
        throw err;
      }
      // 3. Only the new one (and an old one still in its grace period: settled again by later rotates and checks).
      const settled = rotation.settle(next, now);
      await secretsRef.set(settled);
      const keep = new Set(lookupKeys(block, settled));
      await this.removeLookups(
        blockId,
        lookupKeys(block, next).filter((k) => !keep.has(k)),
      );
      log.info('block secret rotated', { block_id: blockId, platform });
      return { block: present(block), rotated: true };
    });
  }

  /**
   * Drops secrets whose grace period has passed (LINE's rotated-out channel
   * secret; `line_secret_grace_until`). The edge already ignores them after
   * that time; this tidies the document. Only under the account's lease (a
   * rotation in progress holds [new, old] on purpose): when another holds it,
   * the next check settles.
   */
  private async settleSecrets(connector: Connector, block: StoredBlock): Promise<void> {
    const rotation = connector.rotate;
    if (!rotation) return;
    const ref = this.deps.stores.secrets.collection(BLOCK_SECRETS).doc(block.block_id);
    const current = await ref.get();
    if (!current.exists) return;
    const stored = current.data() as ConnectorSecrets;
    if (JSON.stringify(rotation.settle(stored, this.deps.now())) === JSON.stringify(stored)) return;
    let release: () => Promise<void>;
    try {
      release = await this.lease(accountKey(block.platform, block.account_id));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'connect_in_progress') return;
      throw err;
    }
    try {
      await this.settleLocked(rotation, block, ref);
    } finally {
      await release();
    }
  }

  private async settleLocked(rotation: NonNullable<Connector['rotate']>, block: StoredBlock, ref: DocumentReference): Promise<void> {
    const dropped = await this.deps.stores.secrets.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      if (!snap.exists) return [];
      const secrets = snap.data() as ConnectorSecrets;
      const settled = rotation.settle(secrets, this.deps.now());
      if (JSON.stringify(settled) === JSON.stringify(secrets)) return [];
      tx.set(ref, settled);
      const keep = new Set(lookupKeys(block, settled));
      return lookupKeys(block, secrets).filter((k) => !keep.has(k));
    });
    await this.removeLookups(block.block_id, dropped);
  }

  /**
   * The scheduled check (Cloud Scheduler → POST /checks): check() of every
   * connected Block in every workspace, CHECK_CONCURRENCY at a time. A Block
   * whose webhook is wrong is in `failing` with its platform.block.error; a
   * Block whose check could not run (the platform failed or could not be
   * reached, the webhook URL not configured) is in `failing` too, with the API
   * error's code and no event: the Block is not known to be wrong. One Block's
   * failure never stops the others.
   */
  async checkAll(log: Logger): Promise<CheckSummary> {
    const snap = await this.registry.collection('blocks').where('status', '==', 'connected').get();
    const blocks = snap.docs.map((d) => d.data() as StoredBlock).sort((a, b) => a.block_id.localeCompare(b.block_id));
    const failing: FailingBlock[] = [];
    let checked = 0;
    await eachLimited(blocks, CHECK_CONCURRENCY, async (block) => {
      const where = { workspace_id: block.workspace_id, block_id: block.block_id, platform: block.platform };
      try {
        const result = await this.check(block.workspace_id, block.block_id, log);
        checked += 1;
        if (result.error_event_id && result.error) {
          failing.push({ ...where, reason: result.error.code, message: result.error.message, error_event_id: result.error_event_id });
        }
      } catch (err) {
        // Disconnected since the query: nothing to check.
        if (err instanceof ApiError && err.code === 'not_connected') return;
        checked += 1;
        const reason = err instanceof ApiError ? err.code : 'unexpected_error';
        const message = err instanceof ApiError ? err.message : 'the check failed unexpectedly';
        failing.push({ ...where, reason, message });
        log.warn('could not check a Block', { ...where, reason, ...(err instanceof ApiError ? {} : { error: (err as Error).message }) });
      }
    });
    failing.sort((a, b) => a.workspace_id.localeCompare(b.workspace_id) || a.block_id.localeCompare(b.block_id));
    log.info('scheduled Block check done', { checked, failing: failing.length });
    return { checked, failing };
  }

  async check(
    workspaceId: string,
    blockId: string,
    log: Logger,
  ): Promise<{
    block: PublicBlock;
    webhook: WebhookStatus | { ok: false; error: string };
    error_event_id?: string;
    /** What platform.block.error said (with error_event_id). */
    error?: { code: string; message: string };
  }> {
    const block = await this.load(workspaceId, blockId);
    if (block.status === 'disconnected') throw new ApiError(409, 'not_connected', `Block ${blockId} is disconnected`);
    const conn = this.connection(block.platform);
    const ctx = this.context(conn, log);
    await this.settleSecrets(conn.connector, block);
    const { credentials } = await this.credentialsOf(conn, block);
    let error: { code: string; message: string; details?: string } | undefined;
    let webhook: WebhookStatus | { ok: false; error: string };
    if (credentials === undefined) {
      error = { code: 'no_credentials', message: 'the Block has no stored credentials' };
      webhook = { ok: false, error: error.message };
    } else {
      try {
        webhook = await conn.connector.check(ctx, credentials);
        if (!webhook.ok) {
          error = webhook.lastError
            ? {
                code: 'webhook_delivery_error',
                message: webhook.lastError.message,
                ...(webhook.lastError.at ? { details: `last error at ${webhook.lastError.at}` } : {}),
              }
            : { code: 'webhook_not_registered', message: `${block.platform} does not deliver to our webhook URL` };
        }
      } catch (err) {
        if (!(err instanceof ConnectError) || err.reason !== 'bad_credentials') {
          throw err instanceof ConnectError ? apiErrorOf(err, block.platform) : err;
        }
        error = { code: 'bad_credentials', message: err.message };
        webhook = { ok: false, error: err.message };
      }
    }
    if (!error) return { block: present(block), webhook };
    const at = 'lastError' in webhook && webhook.lastError?.at ? webhook.lastError.at : this.deps.now().toISOString();
    const eventId = await this.publish(block, 'platform.block.error', `block-error:${blockId}:${error.code}:${at}`, {
      error,
      account_id: block.account_id,
    });
    log.warn('block webhook is not healthy', { block_id: blockId, platform: block.platform, error: error.code, reason: error.message });
    return { block: present(block), webhook, error_event_id: eventId, error: { code: error.code, message: error.message } };
  }
}
