/** What npm run send says about a followed request: redeliveries, rejected and unrouted entries (scripts/lib/send-cli.ts, observe.ts). */
import { redeliveryVerdict, type Observation, type ObservedEntry } from '../../scripts/lib/observe';
import {
  describeObservation,
  describeRedelivery,
  entryHeadline,
  entryHint,
  followsLocally,
  nothingLoggedHint,
} from '../../scripts/lib/send-cli';

function entry(fields: Partial<ObservedEntry>): ObservedEntry {
  return {
    id: 'evt_1',
    kind: 'event',
    type: 'messaging.message.received',
    status: 'success',
    contact_id: null,
    consumers: {},
    execution_ids: [],
    rejection: null,
    request_id: 'req-first',
    collection: 'workspaces/ws_demo/event_log',
    ...fields,
  };
}

describe('recognising a deduplicated redelivery', () => {
  const base = { requestId: 'req-second', ownEntries: 0, expectedIds: ['evt_1', 'evt_2'], settled: true };
  const found = [entry({ id: 'evt_1' }), entry({ id: 'evt_2' })];

  it('is a redelivery when every expected entry is logged under an earlier request', () => {
    expect(redeliveryVerdict({ ...base, found })).toEqual({ duplicate: true, firstRequestIds: ['req-first'] });
  });

  it('is not one while the request has entries of its own, before the pipeline had time, or when an entry is missing', () => {
    expect(redeliveryVerdict({ ...base, found, ownEntries: 1 })).toEqual({ duplicate: false });
    expect(redeliveryVerdict({ ...base, found, settled: false })).toEqual({ duplicate: false });
    expect(redeliveryVerdict({ ...base, found: found.slice(0, 1) })).toEqual({ duplicate: false });
    expect(redeliveryVerdict({ ...base, found, expectedIds: [] })).toEqual({ duplicate: false });
    expect(redeliveryVerdict({ ...base, found: [entry({ id: 'evt_1', request_id: 'req-second' }), found[1]!] })).toEqual({
      duplicate: false,
    });
  });

  it('says so, naming the first request', () => {
    const text = describeRedelivery(found, ['req-first'], 'line');
    expect(text.split('\n')[0]).toBe(
      "  deduplicated: a redelivery of request req-first; the pipeline logged nothing new (each entry keeps the first request's id):",
    );
    expect(text).toContain('  evt_1  messaging.message.received  success');
  });
});

describe('hints name the cause the rejection gives', () => {
  const unparseable = entry({
    id: 'rej_1',
    kind: 'rejected',
    type: null,
    status: 'rejected',
    rejection: { reason: 'unparseable', path: '', detail: 'the body has no entry[] array (not a Meta webhook payload)' },
    collection: 'unrouted_events',
  });

  it('an unparseable body is not blamed on a missing Block, and "rejected" is said once', () => {
    const text = describeObservation({ entries: [unparseable], executions: {}, settled: true }, [], 'messenger');
    expect(text).toBe(
      [
        '  rej_1  rejected (unparseable)',
        '      (body): the body has no entry[] array (not a Meta webhook payload)',
        '      not a messenger webhook body: the normalizer could not read it, so it reached no workspace (kept in unrouted_events). Check the file and the platform.',
      ].join('\n'),
    );
    expect(text).not.toMatch(/no Block is connected/);
    expect(text).not.toMatch(/rejected\s+rejected/);
  });

  it('an unroutable item names the missing Block', () => {
    const e = { ...unparseable, rejection: { reason: 'unroutable', path: 'entry[0]', detail: 'page 1 is not connected' } };
    expect(entryHint(e, 'messenger')).toMatch(/^unrouted: no Block is connected/);
    expect(entryHint({ ...e, rejection: { ...e.rejection, reason: 'unsupported' } }, 'messenger')).toMatch(/no mapping/);
    expect(entryHint(entry({}), 'messenger')).toBeUndefined();
  });

  it('lists consumers in the same order whatever order Firestore returns them in', () => {
    const a = entry({ consumers: { triggers: { status: 'success' }, contacts: { status: 'success' } } });
    const b = entry({ consumers: { contacts: { status: 'success' }, triggers: { status: 'success' } } });
    const show = (e: ObservedEntry) => describeObservation({ entries: [e], executions: {}, settled: true } as Observation, [], 'line');
    expect(show(a)).toBe(show(b));
    expect(show(a)).toContain('[contacts=success triggers=success]');
  });

  it('headlines', () => {
    expect(entryHeadline(entry({ status: null }))).toBe('messaging.message.received  processing');
    expect(entryHeadline({ ...unparseable, status: 'failed' })).toBe('rejected (unparseable)  failed');
  });

  it('nothing logged: the cause depends on how far the request got', () => {
    expect(nothingLoggedHint(20000, true)).toMatch(/the event log stored the body: check the \[normalizer\]/);
    expect(nothingLoggedHint(20000, false)).toMatch(/are the normalizer and the event-log running\?/);
  });

  it('follows only requests to the local stack', () => {
    expect(followsLocally({ wait: true })).toBe(true);
    expect(followsLocally({ wait: true, url: 'http://127.0.0.1:9000/' })).toBe(true);
    expect(followsLocally({ wait: true, url: 'https://hooks.example.test/' })).toBe(false);
    expect(followsLocally({ wait: false })).toBe(false);
  });
});
