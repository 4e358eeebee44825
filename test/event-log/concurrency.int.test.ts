/**
 * The log writer and every consumer write the same entry at about the same
 * moment (they all receive the event at once). Whatever the interleaving, the
 * entry must end as if the writes had come one by one: every consumer's
 * latest report, the right status, every linked execution, the writer's fields.
 * Real races on the Firestore emulator: many entries, every writer started at once.
 */
import { Timestamp } from '@google-cloud/firestore';
import { executionId } from '../../shared/envelope';
import { fromEnvelope } from '../../shared/event-log/entry';
import { eventLogRef, reportOutcome, type OutcomeReport } from '../../shared/event-log/outcomes';
import { writeEntry } from '../../shared/event-log/writer';
import { getFirestore } from '../../shared/runtime/gcp';
import { messageEnvelope } from './support';
import { uniqueName } from '../helpers/names';

const ws = uniqueName('ws_race');
const db = () => getFirestore();
const DAY = 24 * 60 * 60 * 1000;
const ENTRIES = 12;

const at = (i: number) => new Date(Date.UTC(2026, 3, 5, 9, 0, i)).toISOString();
const envelopes = () =>
  Array.from({ length: ENTRIES }, (_, i) => messageEnvelope({ workspaceId: ws, rawId: uniqueName('mid'), at: at(i) }));
const writeLog = (e: ReturnType<typeof messageEnvelope>) => writeEntry(db(), fromEnvelope(e, { now: new Date(), retentionDays: 30 }));
const report = (e: ReturnType<typeof messageEnvelope>, r: Omit<OutcomeReport, 'workspace_id' | 'event_id'>) =>
  reportOutcome(db(), { workspace_id: ws, event_id: e.id, ...r });

describe('concurrent writes on one event log entry', () => {
  it('lands every consumer report, links every execution and reads success, with the log writer (and its redelivery) racing them', async () => {
    const events = envelopes();
    const writes = await Promise.all(
      events.map(async (e) => {
        const [first, redelivered] = await Promise.all([
          writeLog(e),
          writeLog(e),
          report(e, { consumer: 'contacts', status: 'success', attempt: 1 }),
          // A slow first attempt's failure arriving with (or after) the retry's success must not win.
          report(e, { consumer: 'triggers', status: 'retrying', attempt: 1, error: 'workflow store unavailable' }),
          report(e, { consumer: 'triggers', status: 'success', attempt: 2, execution_ids: [executionId(ws, 'wf_welcome', e.id)] }),
          // A consumer beyond the expected ones also links executions.
          report(e, { consumer: 'broadcasts', status: 'success', attempt: 1, execution_ids: [executionId(ws, 'wf_promo', e.id)] }),
        ]);
        return [first, redelivered];
      }),
    );

    for (const [i, e] of events.entries()) {
      const d = (await eventLogRef(db(), ws, e.id).get()).data();
      expect(d).toMatchObject({ kind: 'event', status: 'success', type: 'messaging.message.received' });
      expect(Object.keys(d!.consumers).sort()).toEqual(['broadcasts', 'contacts', 'triggers']);
      expect(d!.consumers.contacts).toMatchObject({ status: 'success', attempt: 1 });
      expect(d!.consumers.triggers).toMatchObject({ status: 'success', attempt: 2 });
      expect([...d!.execution_ids].sort()).toEqual([executionId(ws, 'wf_promo', e.id), executionId(ws, 'wf_welcome', e.id)].sort());
      // The writer's expiry (event time + 30 days) replaces a report's provisional one, whichever came first.
      expect((d!.expire_at as Timestamp).toMillis()).toBe(Date.parse(at(i)) + 30 * DAY);
      // Exactly one of the two deliveries wrote the entry.
      expect(writes[i]!.filter((w) => w === 'unchanged')).toHaveLength(1);
    }
  });

  it('reads failed with the last error once a consumer is dead-lettered, whatever its earlier reports and the writer do meanwhile', async () => {
    const events = envelopes();
    await Promise.all(
      events.map((e) =>
        Promise.all([
          writeLog(e),
          report(e, { consumer: 'contacts', status: 'success', attempt: 1 }),
          report(e, { consumer: 'triggers', status: 'retrying', attempt: 4, error: 'workflow store unavailable' }),
          // The dead letter (as the log handler reports it) after the 5th failed attempt.
          report(e, { consumer: 'triggers', status: 'failed', attempt: 5 }),
        ]),
      ),
    );

    for (const e of events) {
      const d = (await eventLogRef(db(), ws, e.id).get()).data();
      expect(d).toMatchObject({ kind: 'event', status: 'failed' });
      expect(d!.consumers.contacts).toMatchObject({ status: 'success', attempt: 1 });
      expect(d!.consumers.triggers).toMatchObject({ status: 'failed', attempt: 5 });
      expect(d!.last_error).toMatchObject({ consumer: 'triggers', attempt: 5 });
    }
  });
});
