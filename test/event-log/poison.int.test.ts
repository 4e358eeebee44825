/**
 * Poison reaches the log: rejections the normalizer makes of hostile bodies
 * are written by the event log (pushed as the rejected subscription pushes
 * them), not refused by Firestore and parked, and land in the right log.
 */
import type { Router } from '../../shared/normalize/router';
import { normalize } from '../../shared/normalize/normalize';
import { rejectionAttributes } from '../../shared/normalize/publish-rejection';
import { REJECTION_LIMITS } from '../../shared/contracts/rejection';
import { getFirestore } from '../../shared/runtime/gcp';
import { eventLogRef } from '../../shared/event-log/outcomes';
import { UNROUTED_EVENTS } from '../../shared/event-log/writer';
import { listen, push, type Running } from './support';
import { uniqueName } from '../helpers/names';
import '../../functions/event-log';

const db = () => getFirestore();
const nothingRoutes: Router = { byAccounts: () => undefined, byBlockId: () => undefined };
let eventLog: Running;

beforeAll(async () => {
  eventLog = await listen('eventLog');
});
afterAll(() => eventLog.close());

it('logs an unroutable rejection quoting 450 KB ids in unrouted_events, its detail cut and saying so', async () => {
  const run = uniqueName('big');
  const body = JSON.stringify({
    object: 'instagram',
    entry: [
      {
        id: `${run}${'1'.repeat(450_000)}`,
        time: 1711880130000,
        messaging: [
          { sender: { id: '2' }, recipient: { id: '3'.repeat(450_000) }, timestamp: 1711880130123, message: { mid: 'm', text: 'x' } },
        ],
      },
    ],
  });
  const { rejections } = await normalize(
    { platform: 'instagram', kind: 'webhook', body, receivedAt: new Date().toISOString(), requestId: run },
    nothingRoutes,
  );
  expect(rejections).toHaveLength(1);
  const item = rejections[0]!;
  const res = await push(eventLog.url, { data: JSON.stringify(item), attributes: rejectionAttributes(item) }, 'event-log-rejected');
  expect(res.status).toBe(204);
  const d = (await db().collection(UNROUTED_EVENTS).doc(item.id).get()).data();
  expect(d).toMatchObject({ kind: 'rejected', status: 'rejected', rejection: { reason: 'unroutable' }, raw_truncated: true });
  expect(Buffer.byteLength(d?.rejection.detail as string)).toBeLessThanOrEqual(REJECTION_LIMITS.detailBytes);
  expect(d?.rejection.detail).toContain('truncated');
});

it("logs a 10,000-deep item of a Block the edge named in that workspace's log", async () => {
  const ws = uniqueName('ws_poison');
  const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
  const { rejections } = await normalize(
    {
      platform: 'telegram',
      kind: 'webhook',
      body: `{"update_id":1,"poll_answer_x":${deep}}`,
      receivedAt: new Date().toISOString(),
      requestId: uniqueName('req'),
      blockId: 'blk_poison',
      workspaceId: ws,
    },
    nothingRoutes,
  );
  expect(rejections).toHaveLength(1);
  const item = rejections[0]!;
  const res = await push(eventLog.url, { data: JSON.stringify(item), attributes: rejectionAttributes(item) }, 'event-log-rejected');
  expect(res.status).toBe(204);
  const d = (await eventLogRef(db(), ws, item.id).get()).data();
  expect(d).toMatchObject({ kind: 'rejected', workspace_id: ws, block_id: 'blk_poison', rejection: { reason: 'invalid' } });
  expect(d?.rejection.detail).toContain('nests deeper than');
});

it("logs a split rejection of a LINE batch in the edge's workspace, not unrouted_events", async () => {
  const ws = uniqueName('ws_split');
  const { rejections } = await normalize(
    {
      platform: 'line',
      kind: 'webhook',
      body: JSON.stringify({ destination: 'Ubot', events: ['not an event'] }),
      receivedAt: new Date().toISOString(),
      requestId: uniqueName('req'),
      blockId: 'blk_split',
      workspaceId: ws,
    },
    nothingRoutes,
  );
  const item = rejections[0]!;
  expect(
    (await push(eventLog.url, { data: JSON.stringify(item), attributes: rejectionAttributes(item) }, 'event-log-rejected')).status,
  ).toBe(204);
  expect((await eventLogRef(db(), ws, item.id).get()).get('rejection.reason')).toBe('invalid');
  expect((await db().collection(UNROUTED_EVENTS).doc(item.id).get()).exists).toBe(false);
});
