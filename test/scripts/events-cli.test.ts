/**
 * `npm run events`: its arguments, and how it shows the API's answers.
 */
import { UsageError } from '../../scripts/lib/args';
import {
  DEFAULT_WORKSPACE,
  dryRunSummary,
  eventDetail,
  eventLine,
  eventsTable,
  parseEventsArgs,
  problemLine,
  progressBar,
  unroutedReplayLines,
  unroutedTable,
  type EventRow,
} from '../../scripts/lib/events-cli';
import { table } from '../../scripts/lib/table';

describe('parseEventsArgs', () => {
  it('reads a command, the filters as options or --filter name=value, and the defaults', () => {
    expect(parseEventsArgs(['ls', '--status', 'failed', '--filter', 'type=messaging.*', '--type-prefix=x', '--limit', '5'])).toEqual({
      help: false,
      command: 'ls',
      filter: { status: 'failed', type: 'messaging.*', type_prefix: 'x' },
      workspace: DEFAULT_WORKSPACE,
      json: false,
      limit: 5,
      intervalSeconds: 2,
      dryRun: false,
      yes: false,
    });
  });

  it('takes an id for show and replay, and the bulk replay options', () => {
    expect(parseEventsArgs(['show', 'evt_1', '-w', 'ws_x', '--json'])).toMatchObject({
      command: 'show',
      id: 'evt_1',
      workspace: 'ws_x',
      json: true,
    });
    expect(parseEventsArgs(['replay', 'evt_1', '--key', 'k1'])).toMatchObject({ command: 'replay', id: 'evt_1', key: 'k1' });
    expect(parseEventsArgs(['replay', '--filter', 'status=failed', '--dry-run', '--max', '50'])).toMatchObject({
      command: 'replay',
      filter: { status: 'failed' },
      dryRun: true,
      max: 50,
    });
    expect(parseEventsArgs(['replay', '--yes', '--token', 't0k'])).toMatchObject({
      command: 'replay',
      filter: {},
      yes: true,
      token: 't0k',
    });
    expect(parseEventsArgs(['unrouted', '--reason', 'unroutable', '--account', '123'])).toMatchObject({
      filter: { reason: 'unroutable', account: '123' },
    });
  });

  it('reads `unrouted replay ID` as the replay of that entry; plain `unrouted` lists', () => {
    expect(parseEventsArgs(['unrouted', 'replay', 'rej_1'])).toMatchObject({ command: 'unrouted', id: 'rej_1', filter: {} });
    expect(parseEventsArgs(['unrouted']).id).toBeUndefined();
  });

  it.each<[string[], RegExp]>([
    [['list'], /unknown command list/],
    [['show'], /show needs an event id/],
    [['ls', 'evt_1'], /unexpected argument evt_1/],
    [['replay', 'evt_1', '--status', 'failed'], /an event id or filters, not both/],
    [['ls', '--dry-run'], /--dry-run is for a bulk replay/],
    [['replay', 'evt_1', '--dry-run'], /--dry-run is for a bulk replay/],
    [['ls', '--filter', 'colour=red'], /unknown filter colour/],
    [['ls', '--filter', 'status'], /name=value/],
    [['ls', '--status', 'failed', '--filter', 'status=success'], /status given twice/],
    [['unrouted', '--status', 'failed'], /unknown filter status/],
    [['unrouted', 'replay'], /unrouted replay needs an entry id/],
    [['unrouted', 'rej_1'], /unexpected argument rej_1/],
    [['unrouted', 'replay', 'rej_1', 'rej_2'], /unexpected argument rej_2/],
    [['unrouted', 'replay', 'rej_1', '--reason', 'unroutable'], /one entry id, not filters/],
    [['ls', '--limit', '0'], /--limit must be a positive whole number/],
    [['ls', '--bogus'], /unknown option --bogus/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseEventsArgs(argv)).toThrow(UsageError);
    expect(() => parseEventsArgs(argv)).toThrow(message);
  });
});

const row = (over: Partial<EventRow> = {}): EventRow => ({
  id: 'evt_a',
  timestamp: '2026-04-01T12:00:03.123Z',
  platform: 'line',
  type: 'messaging.message.received',
  status: 'success',
  contact_id: 'ct_1',
  execution_ids: [],
  replay_of: null,
  replays: [],
  ...over,
});

describe('formatting', () => {
  it('lays a table out in columns, padded to the widest cell', () => {
    expect(
      table(
        ['A', 'BB'],
        [
          ['xxx', 'y'],
          ['z', ''],
        ],
      ),
    ).toBe('A    BB\nxxx  y\nz');
  });

  it('right-aligns the columns asked, and writes Markdown for a report', () => {
    expect(
      table(
        ['name', 'n'],
        [
          ['a', '10'],
          ['bb', '2'],
        ],
        { align: ['left', 'right'] },
      ),
    ).toBe('name   n\na     10\nbb     2');
    expect(table(['name', 'n'], [['a', '10']], { markdown: true, align: ['left', 'right'] })).toBe(
      '| name |  n |\n|------|---:|\n| a    | 10 |',
    );
  });

  it('shows an event per row: time, id, platform, type, status, contact, what it links to and why it failed', () => {
    const out = eventsTable([
      row(),
      row({
        id: 'evt_b',
        status: 'failed',
        execution_ids: ['exe_1'],
        replays: ['evt_c'],
        last_error: { consumer: 'triggers', error: 'boom', attempt: 10 },
      }),
    ]).split('\n');
    expect(out[0]).toMatch(/^TIME \(UTC\)\s+ID\s+PLATFORM\s+TYPE\s+STATUS\s+CONTACT\s+LINKED\s+WHY$/);
    expect(out[1]).toMatch(/^2026-04-01 12:00:03\s+evt_a\s+line\s+messaging\.message\.received\s+success\s+ct_1$/);
    expect(out[2]).toContain('exe exe_1; replayed 1x');
    expect(out[2]).toMatch(/triggers #10: boom$/);
    expect(eventsTable([])).toBe('no events match');
  });

  it('shows a rejected entry with its reason, and an event as one line for tail', () => {
    expect(eventLine(row({ status: 'rejected', rejection: { reason: 'unsupported', detail: 'no mapping' } }))).toBe(
      '2026-04-01 12:00:03  evt_a  line  messaging.message.received  rejected  unsupported: no mapping',
    );
    expect(eventLine(row({ replay_of: 'evt_0' }))).toBe(
      '2026-04-01 12:00:03  evt_a  line  messaging.message.received  success  replay of evt_0',
    );
  });

  it('shows one event in full: consumers, executions, the envelope and the raw item or why it is not shown', () => {
    const detail = eventDetail({
      ...row({ execution_ids: ['exe_1'] }),
      received_at: '2026-04-01T12:00:04Z',
      block_id: 'blk_1',
      consumers: { contacts: { status: 'success', attempt: 1 }, triggers: { status: 'retrying', attempt: 2, error: 'boom' } },
      envelope: { id: 'evt_a' },
      raw: { available: false, note: 'the webhook body was not stored' },
    });
    expect(detail).toContain('  contacts   success (attempt 1)');
    expect(detail).toContain('  triggers   retrying (attempt 2): boom');
    expect(detail).toContain('  executions exe_1');
    expect(detail).toContain('"id": "evt_a"');
    expect(detail).toContain('raw platform item: not shown (the webhook body was not stored)');
  });

  it('shows unrouted entries with their reason and accounts', () => {
    const out = unroutedTable([
      {
        id: 'rej_1',
        timestamp: null,
        platform: 'whatsapp',
        rejection: { reason: 'unroutable', detail: 'no Block' },
        accounts: ['106'],
        replays: [],
      },
    ]);
    expect(out.split('\n')[1]).toMatch(/^-\s+rej_1\s+whatsapp\s+unroutable\s+106\s+0\s+no Block$/);
  });

  it('draws a job as a progress bar', () => {
    expect(progressBar({ done: 5, total: 10, replayed: 4, failed: 1, status: 'running' }, 10)).toBe(
      '[#####.....]  5/10  replayed 4  failed 1  running',
    );
    expect(progressBar({ done: 0, total: 0, replayed: 0, failed: 0, status: 'completed' }, 4)).toBe(
      '[####]  0/0  replayed 0  failed 0  completed',
    );
  });

  it('says what a dry run found, and when it is over the limit', () => {
    expect(dryRunSummary({ matching: 3, max_events: 500, too_many: false, filter: { status: 'failed' } })).toBe(
      '3 event(s) match status=failed',
    );
    expect(dryRunSummary({ matching: 0, max_events: 500, too_many: false, filter: {} })).toBe('0 event(s) match no filter (the whole log)');
    expect(dryRunSummary({ matching: 3, max_events: 2, too_many: true, filter: {} })).toMatch(
      /^more than 2 event\(s\) match .*over the limit of 2/,
    );
  });

  it('puts a problem answer in one line', () => {
    expect(problemLine(400, { code: 'invalid_parameter', detail: 'status must be one of ...' })).toBe(
      '400 invalid_parameter: status must be one of ...',
    );
    expect(problemLine(502, 'Bad Gateway')).toBe('502: "Bad Gateway"');
  });
});

describe('unroutedReplayLines', () => {
  it('says where the entry went and its new event ids, as the page does', () => {
    expect(
      unroutedReplayLines({
        replayed: 'rej_1',
        event_ids: ['evt_1', 'evt_2'],
        routed_to: [{ workspace_id: 'ws_demo', block_id: 'blk_1' }],
        still_rejected: [],
      }),
    ).toBe('replayed rej_1: routed to ws_demo (Block blk_1) as evt_1, evt_2');
  });

  it('lists the items of a whole body the normalizer still rejects', () => {
    expect(
      unroutedReplayLines({
        replayed: 'raw_1',
        event_ids: [],
        routed_to: [],
        still_rejected: [{ reason: 'unsupported', detail: 'no mapping for reaction', path: 'entry[0].messaging[1]' }],
      }),
    ).toBe(
      'replayed raw_1: routed to no workspace as no new event\n  still rejected entry[0].messaging[1]: unsupported: no mapping for reaction',
    );
  });
});
