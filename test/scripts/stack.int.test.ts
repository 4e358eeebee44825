/**
 * npm start's runner against the emulators: a restarted function (--watch)
 * answers again on its port, functions listen on 127.0.0.1 only, a misspelt
 * --only is refused, the Firestore data survives a restart with --persist,
 * and npm run send finds the entries a redelivery matched.
 */
import { mkdtempSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { RAW_MESSAGES, rawMessageId } from '../../shared/event-log/raw-store';
import { exportFirestore, latestFirestoreExport, startEmulator } from '../../scripts/lib/emulators';
import { rawReceived, readEntries, redeliveryVerdict } from '../../scripts/lib/observe';
import { portAnswers } from '../../scripts/lib/functions';
import { startStack, StackError, type Stack } from '../../scripts/lib/stack';

jest.setTimeout(120_000);

const logDir = mkdtempSync(path.join(tmpdir(), 'convotic-stack-'));

const reachable = (host: string, port: number): Promise<boolean> => portAnswers(port, host, 1000);

describe('a stack of one function', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      projectId: `convotic-stack-${Date.now().toString(36)}`,
      pubsubHost: process.env.PUBSUB_EMULATOR_HOST,
      firestoreHost: process.env.FIRESTORE_EMULATOR_HOST,
      functionsPort: 'free',
      only: ['webhook-line'],
      seed: false,
      logDir,
      onLine: () => undefined,
      onNotice: () => undefined,
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('listens on 127.0.0.1 only', async () => {
    const { port } = stack.functions['webhook-line']!;
    expect(await reachable('127.0.0.1', port)).toBe(true);
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) expect(await reachable(external.address, port)).toBe(false);
  });

  it('restarts a function on the same port (--watch)', async () => {
    const { url } = stack.functions['webhook-line']!;
    await stack.restart('webhook-line');
    const res = await fetch(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401); // unsigned: refused, but answered by the restarted process
    await expect(stack.restart('normalizer')).rejects.toThrow(/not one of the functions this stack runs/);
  });
});

it('refuses --only with a name topology.json does not have, listing the names', async () => {
  await expect(startStack({ only: ['normaliser'], logDir })).rejects.toThrow(StackError);
  await expect(startStack({ only: ['normaliser'], logDir })).rejects.toThrow(
    /no function normaliser in topology\.json; the functions are: .*normalizer/,
  );
});

it('keeps the Firestore data across an emulator restart (--persist)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'convotic-persist-'));
  const projectId = 'convotic-persist';
  const first = await startEmulator('firestore', { projectId });
  try {
    const db = new Firestore({ projectId, host: first.host, ssl: false });
    await db.collection('workspaces').doc('ws_p').collection('event_log').doc('evt_1').set({ status: 'success' });
    await db.terminate();
    const saved = await exportFirestore(first.host, projectId, dir);
    expect(latestFirestoreExport(dir)).toBe(saved);
  } finally {
    await first.stop();
  }
  const second = await startEmulator('firestore', { projectId, seedFromExport: latestFirestoreExport(dir) });
  try {
    const db = new Firestore({ projectId, host: second.host, ssl: false });
    const snap = await db.collection('workspaces').doc('ws_p').collection('event_log').doc('evt_1').get();
    expect(snap.get('status')).toBe('success');
    // A second save replaces the first: only the newest export is kept.
    const again = await exportFirestore(second.host, projectId, dir);
    expect(latestFirestoreExport(dir)).toBe(again);
    await db.terminate();
  } finally {
    await second.stop();
  }
});

it('finds the entries a redelivery matched, in the log or unrouted, and whether the body reached the log (npm run send)', async () => {
  const projectId = `convotic-send-${Date.now().toString(36)}`;
  const db = new Firestore({ projectId, host: process.env.FIRESTORE_EMULATOR_HOST, ssl: false });
  try {
    await db.collection('workspaces').doc('ws_s').collection('event_log').doc('evt_a').set({ kind: 'event', request_id: 'req-1' });
    await db.collection('unrouted_events').doc('rej_b').set({ kind: 'rejected', request_id: 'req-1' });
    await db.collection(RAW_MESSAGES).doc(rawMessageId('line', 'req-2')).set({ platform: 'line' });
    const found = await readEntries(db, 'ws_s', ['rej_b', 'evt_missing', 'evt_a']);
    expect(found.map((e) => [e.id, e.request_id, e.collection])).toEqual([
      ['rej_b', 'req-1', 'unrouted_events'],
      ['evt_a', 'req-1', 'workspaces/ws_s/event_log'],
    ]);
    expect(await rawReceived(db, 'line', 'req-2')).toBe(true);
    expect(await rawReceived(db, 'line', 'req-3')).toBe(false);
    expect(redeliveryVerdict({ requestId: 'req-2', ownEntries: 0, expectedIds: ['evt_a', 'rej_b'], found, settled: true })).toEqual({
      duplicate: true,
      firstRequestIds: ['req-1'],
    });
  } finally {
    await db.terminate();
  }
});
