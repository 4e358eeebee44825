/**
 * Writes the demo workspace (scripts/lib/demo.ts): one Block per platform and
 * the demo Workflows. Idempotent: running it again leaves the same state.
 *
 * The Blocks are connected through the blocks API (POST /workspaces/ws_demo/blocks),
 * with the demo credentials the local fakes of the platform APIs accept
 * (scripts/lib/demo-fakes.ts): the API identifies each account at the fake,
 * registers our local webhook URL there (LINE's webhook test and Meta's
 * hub.challenge reach the webhook functions) and publishes
 * platform.block.connected. A platform is written directly (saveBlock, with
 * the demo secrets) only when the blocks API or its webhook function is not
 * running (`npm start -- --only ...`). The Workflows are written directly
 * (there is no API for them here).
 */
import type { Firestore } from '@google-cloud/firestore';
import { BLOCK_SECRETS, saveBlock, type BlockSecrets, type BlockStores } from '../../shared/contracts/blocks';
import { PLATFORMS, type Platform } from '../../shared/platforms';
import { DEMO_BLOCKS, DEMO_WORKSPACE_ID, demoConnectRequest } from './demo';
import { DEMO_WORKFLOWS } from './demo-workflows';

export interface SeedResult {
  workspaceId: string;
  blockIds: string[];
  workflowIds: string[];
  /** Platforms whose demo Block the blocks API connected (or found connected). */
  connected: Platform[];
  /** Platforms whose demo Block was written directly (the blocks API or the webhook function is not running). */
  written: Platform[];
  /** Platforms whose connect the blocks API refused, with its answer. */
  failed: Array<{ platform: Platform; reason: string }>;
  /** What the demo Blocks' webhooks are signed with now (demoBlockSecret): Telegram's secret token was made at connect. */
  secrets: { telegram?: string; line?: string };
}

export interface SeedOptions {
  stores: BlockStores;
  /** The running blocks API (http://127.0.0.1:<port>); without it every Block is written directly. */
  blocksApiUrl?: string;
  /** The platforms whose webhook function runs (the platform calls it during connect). Default: all. */
  webhooks?: readonly Platform[];
}

async function api(url: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

/** Connects one demo Block through the blocks API; the reason it failed, or undefined. */
async function connectDemoBlock(stores: BlockStores, blocksApiUrl: string, platform: Platform): Promise<string | undefined> {
  const { block } = DEMO_BLOCKS[platform];
  const blocks = `${blocksApiUrl}/workspaces/${DEMO_WORKSPACE_ID}/blocks`;
  // A Block restored by --persist has no secrets (their database is not exported): connected again, from the start.
  const [stored, secrets] = await Promise.all([
    stores.registry.collection('blocks').doc(block.block_id).get(),
    stores.secrets.collection(BLOCK_SECRETS).doc(block.block_id).get(),
  ]);
  if (stored.exists && stored.get('status') === 'connected' && !secrets.exists) {
    const out = await api(`${blocks}/${block.block_id}/disconnect`, {});
    if (out.status !== 200) return `disconnect of the restored Block answered ${out.status} ${JSON.stringify(out.json)}`;
  }
  const out = await api(blocks, demoConnectRequest(platform));
  // The blocks API answers problem details (RFC 9457): `code` and `detail`.
  if (out.status !== 200 && out.status !== 201) return `${out.status} ${String(out.json.code)}: ${String(out.json.detail)}`;
  const got = (out.json.block as { block_id?: string } | undefined)?.block_id;
  if (got !== block.block_id) return `the blocks API gave the Block id ${got}, not ${block.block_id} (scripts/lib/demo.ts)`;
  return undefined;
}

export async function seedDemo(options: SeedOptions): Promise<SeedResult> {
  const { stores } = options;
  const db = stores.registry;
  const result: SeedResult = {
    workspaceId: DEMO_WORKSPACE_ID,
    blockIds: [],
    workflowIds: DEMO_WORKFLOWS.map((w) => w.id),
    connected: [],
    written: [],
    failed: [],
    secrets: {},
  };
  const workflows = db.collection('workspaces').doc(DEMO_WORKSPACE_ID).collection('workflows');
  const batch = db.batch();
  for (const { id, ...workflow } of DEMO_WORKFLOWS) batch.set(workflows.doc(id), workflow);
  await batch.commit();

  const webhooks = options.webhooks ?? PLATFORMS;
  for (const platform of PLATFORMS) {
    const { block, secrets } = DEMO_BLOCKS[platform];
    if (options.blocksApiUrl && webhooks.includes(platform)) {
      const reason = await connectDemoBlock(stores, options.blocksApiUrl, platform);
      if (reason) result.failed.push({ platform, reason });
      else {
        result.connected.push(platform);
        result.blockIds.push(block.block_id);
      }
    } else {
      await saveBlock(stores, block, secrets);
      result.written.push(platform);
      result.blockIds.push(block.block_id);
    }
  }
  const [telegram, line] = await Promise.all([demoBlockSecret(stores.secrets, 'telegram'), demoBlockSecret(stores.secrets, 'line')]);
  result.secrets = { ...(telegram ? { telegram } : {}), ...(line ? { line } : {}) };
  return result;
}

/**
 * The secret a demo Block's webhooks are signed with now, from the block
 * secrets database: the Telegram secret token (made by the connector at
 * connect) or the LINE channel secret. Undefined when the Block has none
 * (not seeded, or `--no-seed`).
 */
export async function demoBlockSecret(secretsDb: Firestore, platform: 'telegram' | 'line'): Promise<string | undefined> {
  const snap = await secretsDb.collection(BLOCK_SECRETS).doc(DEMO_BLOCKS[platform].block.block_id).get();
  const secrets = (snap.exists ? snap.data() : {}) as BlockSecrets;
  return (platform === 'telegram' ? secrets.telegram_secret_tokens : secrets.line_channel_secrets)?.[0];
}
