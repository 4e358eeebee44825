/**
 * What the reconciliation suites share: Messenger bodies stored in
 * `raw_messages` as the log writer stores them (or as it did before the
 * shard field), their reconcile states, and a run's deps with its log lines.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { RawMessageAttributes } from '../../shared/contracts/raw-message';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { renormalizeWith } from '../../shared/events-api/renormalize';
import { RAW_MESSAGES, rawMessageId, rawRecord, storeRawMessage } from '../../shared/event-log/raw-store';
import type { Router } from '../../shared/normalize/router';
import type { ReconcileDeps } from '../../shared/reconcile/run';
import { createLogger } from '../../shared/runtime/log';

/** A Messenger batch with no entries: the normalizer makes nothing of it, so a run settles it `logged`. */
export const EMPTY_BATCH = Buffer.from('{"object":"page","entry":[]}');
export const NO_ROUTES: Router = { byAccounts: () => undefined, byBlockId: () => undefined };

export interface StoredBody {
  id: string;
  attrs: RawMessageAttributes;
}

/** A Messenger body received at `receivedAt`: with its shard, or (`sharded: false`) as the writer before sharding stored it, every field but `shard`. */
export async function storeBody(
  db: Firestore,
  requestId: string,
  receivedAt: Date,
  opts: { body?: Buffer; sharded?: boolean } = {},
): Promise<StoredBody> {
  const attrs: RawMessageAttributes = {
    platform: 'messenger',
    received_at: receivedAt.toISOString(),
    request_id: requestId,
    kind: 'webhook',
    content_type: 'application/json',
  };
  const full = rawRecord(opts.body ?? EMPTY_BATCH, attrs, { ...attrs }, 30, receivedAt);
  const id = rawMessageId('messenger', requestId);
  if (opts.sharded ?? true) await storeRawMessage(db, full);
  else {
    const { shard: _shard, ...before } = full;
    await db.collection(RAW_MESSAGES).doc(id).create(before);
  }
  return { id, attrs };
}

export const bodyState = async (db: Firestore, id: string) => (await db.collection(RAW_MESSAGES).doc(id).get()).get('reconcile') as string;
export const bodyStates = (db: Firestore, ids: string[]) => Promise.all(ids.map((id) => bodyState(db, id)));

export type LogLine = Record<string, unknown>;

/** A run's deps: on `db`, publishing to `topic`, at `now`, normalizing with `normalize` (no routes by default); its log lines kept. */
export function runDeps(
  db: Firestore,
  topic: string,
  now: Date,
  normalize: ReconcileDeps['normalize'] = renormalizeWith(() => NO_ROUTES),
): { deps: ReconcileDeps; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    deps: {
      db,
      publisher: createEnvelopePublisher(topic),
      normalize,
      log: createLogger({ component: 'test' }, { level: 'info', format: 'json', write: (line) => lines.push(JSON.parse(line) as LogLine) }),
      now: () => now,
      retentionDays: 30,
    },
  };
}

/** The run's own summary line, as operators read it. */
export const runLine = (lines: LogLine[]) => lines.find((l) => l.outcome === 'reconciliation_run')!;
