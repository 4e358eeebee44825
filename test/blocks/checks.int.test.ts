/**
 * The scheduled Block check (`POST /checks`, what Cloud Scheduler calls):
 * every connected Block of every workspace is checked; the answer is a
 * summary without secrets, and each failing Block publishes one
 * platform.block.error. Real blocks-api and webhook-telegram functions,
 * Firestore and Pub/Sub on the emulators, the fake Bot API.
 *
 * The emulators are shared with other test files, whose Blocks the check also
 * finds: the assertions look at this file's workspaces and Blocks only.
 */
import { randomBytes } from 'node:crypto';
import { blockIdFor } from '../../shared/blocks/service';
import { FakeTelegramApi } from '../../scripts/lib/fakes/telegram-api';
import { blocksHarness } from './harness';

jest.setTimeout(60_000);

const run = randomBytes(4).toString('hex');
const base = 710_000_000 + parseInt(run.slice(0, 5), 16);
const bot = (n: number, ws: string) => ({
  token: `${base + n}:AAH${run}${'c'.repeat(30)}${n}`,
  info: { id: base + n, username: `convotic_check_${run}_${n}_bot` },
  ws,
  blockId: blockIdFor('telegram', String(base + n), ws),
});
const HEALTHY = bot(1, `ws_checks_a_${run}`);
const FAILING = bot(2, `ws_checks_b_${run}`);
const GONE = bot(3, `ws_checks_a_${run}`);
const OURS = new Set([HEALTHY.ws, FAILING.ws]);

const fake = new FakeTelegramApi();
const h = blocksHarness({ topics: 'checks', fake, webhooks: ['telegram'], env: () => ({ TELEGRAM_API_BASE: fake.url }) });
const { api, logLines } = h;

/** This file's events among those published since the last call. */
async function ourEvents(
  count: number,
): Promise<Array<{ type: string; block_id: string; workspace_id: string; data: Record<string, unknown> }>> {
  const out: Array<{ type: string; block_id: string; workspace_id: string; data: Record<string, unknown> }> = [];
  const deadline = Date.now() + (count === 0 ? 1000 : 8000);
  while (Date.now() < deadline && (count === 0 || out.length < count)) {
    const messages = await h.events.pull(1, 500).catch(() => []);
    for (const m of messages) {
      const event = JSON.parse(m.data.toString('utf8'));
      if (OURS.has(event.workspace_id)) out.push(event);
    }
  }
  return out;
}

beforeAll(async () => {
  for (const b of [HEALTHY, FAILING, GONE]) {
    fake.addBot(b.token, b.info);
    const res = await api('POST', `/workspaces/${b.ws}/blocks`, { platform: 'telegram', credentials: { bot_token: b.token } });
    expect(res.status).toBe(201);
  }
  // A disconnected Block is not checked.
  expect((await api('POST', `/workspaces/${GONE.ws}/blocks/${GONE.blockId}/disconnect`, {})).status).toBe(200);
  // The failing one: a delivery the edge refuses (another token), which Telegram records as the webhook's last error.
  expect(await fake.deliver(FAILING.info.id, { update_id: 1 }, { secretToken: 'not-the-token' })).toBe(401);
  await ourEvents(4); // connected ×3, disconnected
});

interface Summary {
  checked: number;
  failing: Array<{ workspace_id: string; block_id: string; platform: string; reason: string; message: string; error_event_id?: string }>;
}

describe('POST /checks', () => {
  it('checks every connected Block across workspaces: the healthy one passes, the failing one is listed and publishes platform.block.error', async () => {
    const before = fake.calls.filter((c) => c.method === 'getWebhookInfo');
    const res = await api('POST', '/checks');
    expect(res.status).toBe(200);
    const summary = res.json() as Summary;
    const ours = summary.failing.filter((f) => OURS.has(f.workspace_id));
    expect(ours).toEqual([
      {
        workspace_id: FAILING.ws,
        block_id: FAILING.blockId,
        platform: 'telegram',
        reason: 'webhook_delivery_error',
        message: 'Wrong response from the webhook: 401 Unauthorized',
        error_event_id: expect.any(String),
      },
    ]);
    expect(summary.checked).toBeGreaterThanOrEqual(2);

    // Telegram was asked about both connected bots, not the disconnected one.
    const asked = fake.calls
      .filter((c) => c.method === 'getWebhookInfo')
      .slice(before.length)
      .map((c) => c.bot);
    expect(asked).toEqual(expect.arrayContaining([HEALTHY.info.id, FAILING.info.id]));
    expect(asked).not.toContain(GONE.info.id);

    const published = await ourEvents(1);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      type: 'platform.block.error',
      workspace_id: FAILING.ws,
      block_id: FAILING.blockId,
      platform: 'telegram',
      data: { error: { code: 'webhook_delivery_error', message: 'Wrong response from the webhook: 401 Unauthorized' } },
    });
    expect((published[0] as unknown as { id: string }).id).toBe(ours[0]!.error_event_id);
    expect(await ourEvents(0)).toEqual([]);

    // Never a secret: not in the answer, not in a log line.
    const secrets = [HEALTHY.token, FAILING.token, ...fake.issuedSecretTokens];
    for (const secret of secrets) {
      expect(res.text).not.toContain(secret);
      expect(logLines.join('')).not.toContain(secret);
    }
  });

  it('takes an empty body or {}, and refuses anything else', async () => {
    expect((await api('POST', '/checks', {})).status).toBe(200);
    const refused = await api('POST', '/checks', { workspace: 'x' });
    expect(refused.status).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'unknown_parameter' });
    expect((await api('GET', '/checks')).status).toBe(405);
    await ourEvents(0);
  });
});
