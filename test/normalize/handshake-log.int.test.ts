/**
 * A Meta handshake record reaching the normalizer with no Block (Meta verifies
 * the app subscription, not a Block): kept as an unroutable rejection for the
 * event log, but logged at INFO as a verification, never as a WARNING
 * rejection. Through a real HTTP server and the Pub/Sub emulator.
 */
import * as functions from '@google-cloud/functions-framework';
import { rawAttributes } from '../../shared/contracts/raw-message';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { createNormalizerHandler } from '../../shared/normalize/handler';
import { createRejectionPublisher } from '../../shared/normalize/publish-rejection';
import type { Router } from '../../shared/normalize/router';
import { createLogger } from '../../shared/runtime/log';
import { collect, createTopic, listen, push, type Running } from '../event-log/support';
import { uniqueName } from '../helpers/names';
import { waitFor } from '../helpers/wait';

const EVENTS = uniqueName('nrm-hs-events').replace(/_/g, '-');
const REJECTED = uniqueName('nrm-hs-rejected').replace(/_/g, '-');
const nobody: Router = { byAccounts: () => undefined, byBlockId: () => undefined };
const lines: Array<Record<string, unknown>> = [];

functions.http(
  'nrmHandshake',
  createNormalizerHandler({
    router: () => nobody,
    events: createEnvelopePublisher(EVENTS),
    rejections: createRejectionPublisher(REJECTED),
    logger: createLogger({ component: 'normalizer' }, { level: 'debug', write: (line) => lines.push(JSON.parse(line)) }),
  }),
);

let server: Running;
let rejected: Awaited<ReturnType<typeof collect>>;
beforeAll(async () => {
  await Promise.all([createTopic(EVENTS), createTopic(REJECTED)]);
  rejected = await collect(REJECTED, `${REJECTED}-watch`);
  server = await listen('nrmHandshake');
});
afterAll(async () => {
  await rejected.stop();
  await server.close();
});

it('logs an app-level handshake at INFO as verified, and still publishes its unroutable record', async () => {
  const requestId = uniqueName('req-hs');
  const record = { kind: 'webhook.verified', platform: 'messenger', verified_at: '2026-04-01T00:00:00.000Z', verify_token_index: 0 };
  const attributes = rawAttributes({
    platform: 'messenger',
    kind: 'handshake',
    received_at: record.verified_at,
    request_id: requestId,
    content_type: 'application/json',
  });
  const res = await push(server.url, { data: JSON.stringify(record), attributes }, 'normalizer-raw');
  expect(res.status).toBe(204);
  const m = await waitFor('the handshake record', async () => rejected.messages.find((r) => r.attributes.request_id === requestId));
  expect(m.attributes).toMatchObject({ reason: 'unroutable', platform: 'messenger' });

  const mine = lines.filter((l) => l.request_id === requestId || JSON.stringify(l).includes(requestId));
  expect(mine.filter((l) => String(l.message).startsWith('batch item rejected'))).toEqual([]);
  expect(mine).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        severity: 'INFO',
        message: 'webhook verified by the platform (app subscription: no Block named)',
        outcome: 'verified',
      }),
    ]),
  );
  expect(mine.filter((l) => l.severity === 'WARNING')).toEqual([]);
});
