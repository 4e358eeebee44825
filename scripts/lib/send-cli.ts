/**
 * `npm run send`'s command line and what it prints about a followed request
 * (scripts/send.ts). Pure, so the wording is tested (test/scripts/send-cli.test.ts).
 */
import { isPlatform, PLATFORMS, type Platform } from '../../shared/platforms';
import { HELP_OPTION, parseCli, positiveInt, UsageError } from './args';
import { isLoopback } from './loopback-url';
import type { Observation, ObservedEntry } from './observe';

export interface SendCli {
  help: boolean;
  list: boolean;
  platform?: Platform;
  sample?: string;
  file?: string;
  id?: string;
  badSignature: boolean;
  wait: boolean;
  timeoutMs: number;
  url?: string;
  /** Sign with this secret instead of the demo one (a real deployment's app secret, channel secret or token). */
  secret?: string;
  /** After following it, print the steps of the request's trace from npm start's function log. */
  trace: boolean;
}

export const SEND_OPTIONS = {
  ...HELP_OPTION,
  list: { type: 'boolean' },
  file: { type: 'string' },
  id: { type: 'string' },
  'bad-signature': { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  timeout: { type: 'string' },
  url: { type: 'string' },
  secret: { type: 'string' },
  trace: { type: 'boolean' },
} as const;

export function parseSendArgs(argv: readonly string[]): SendCli {
  const { values, positionals } = parseCli(argv, SEND_OPTIONS);
  const cli: SendCli = {
    help: values.help === true,
    list: values.list === true,
    file: values.file,
    id: values.id,
    badSignature: values['bad-signature'] === true,
    wait: !values['no-wait'],
    timeoutMs: positiveInt('timeout', values.timeout) ?? 20_000,
    url: values.url,
    secret: values.secret,
    trace: values.trace === true,
  };
  if (cli.help || cli.list) return cli;
  const [platform, sample, extra] = positionals;
  if (!platform) throw new UsageError('which platform?');
  if (!isPlatform(platform)) throw new UsageError(`unknown platform ${platform} (one of ${PLATFORMS.join(', ')})`);
  cli.platform = platform;
  if (cli.file && sample) throw new UsageError(`give a sample or --file, not both (got ${sample} and --file ${cli.file})`);
  if (!cli.file && !sample) throw new UsageError('which sample? (npm run send -- --list)');
  if (extra !== undefined) throw new UsageError(`unexpected argument ${extra}`);
  cli.sample = sample;
  if (cli.secret !== undefined && cli.badSignature) throw new UsageError('--secret and --bad-signature do not go together');
  if (cli.trace && !cli.wait) throw new UsageError('--trace follows the request: it does not go with --no-wait');
  if (cli.url !== undefined && !/^https?:\/\//.test(cli.url)) throw new UsageError(`--url must be an http(s) URL, got ${cli.url}`);
  return cli;
}

/** The event log and Workflow state live in the local emulator: following works only for the local stack. */
export function followsLocally(cli: Pick<SendCli, 'url' | 'wait'>): boolean {
  if (!cli.wait) return false;
  if (cli.url === undefined) return true;
  return isLoopback(cli.url);
}

/** The word for an entry's kind and status, each said once (`rejected (unparseable)`, not `rejected  rejected`). */
export function entryHeadline(e: Pick<ObservedEntry, 'id' | 'kind' | 'type' | 'status' | 'rejection'>): string {
  if (e.kind !== 'event') {
    const what = e.rejection ? `${e.kind} (${e.rejection.reason})` : e.kind;
    return e.status && e.status !== e.kind ? `${what}  ${e.status}` : what;
  }
  return `${e.type ?? 'event'}  ${e.status ?? 'processing'}`;
}

/** What to tell the person about a rejected or unrouted entry: the cause its reason names, and what to do. */
export function entryHint(e: Pick<ObservedEntry, 'rejection' | 'collection'>, platform: string): string | undefined {
  const reason = e.rejection?.reason;
  switch (reason) {
    case 'unroutable':
      return 'unrouted: no Block is connected for the account it names (the seeded accounts are in scripts/lib/demo.ts)';
    case 'unparseable':
      return `not a ${platform} webhook body: the normalizer could not read it, so it reached no workspace (kept in unrouted_events). Check the file and the platform.`;
    case 'unsupported':
      return 'no mapping for this kind of event yet; the item is kept and can be replayed once there is one';
    case 'invalid':
      return 'a field the mapping needs is missing or malformed (see the detail above)';
    case 'normalizer_failed':
      return 'the normalizer failed on the whole body after every retry: see the [normalizer] lines of npm start';
    case undefined:
      return e.collection === 'unrouted_events' ? 'unrouted: no workspace is known for it' : undefined;
    default:
      return undefined;
  }
}

export function describeObservation(o: Observation, expect: readonly string[], platform: string): string {
  const lines: string[] = [];
  for (const e of o.entries) {
    const consumers = Object.entries(e.consumers)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, c]) => `${name}=${c.status}${c.attempt && c.attempt > 1 ? `#${c.attempt}` : ''}`)
      .join(' ');
    lines.push(
      `  ${e.id}  ${entryHeadline(e)}` + (e.contact_id ? `  contact ${e.contact_id}` : '') + (consumers ? `  [${consumers}]` : ''),
    );
    if (e.rejection) lines.push(`      ${e.rejection.path || '(body)'}: ${e.rejection.detail}`);
    const hint = entryHint(e, platform);
    if (hint) lines.push(`      ${hint}`);
    for (const [name, c] of Object.entries(e.consumers)) if (c.error) lines.push(`      ${name} error: ${c.error}`);
    for (const id of e.execution_ids) {
      const x = o.executions[id];
      lines.push(`      execution ${id}` + (x ? `  workflow ${x.workflow_id ?? '?'}  ${x.status ?? ''}` : ''));
    }
  }
  const types = new Set(o.entries.map((e) => e.type));
  const missing = expect.filter((t) => !types.has(t));
  if (missing.length && o.entries.length) lines.push(`  note: the sample expects ${missing.join(', ')}, which did not show up`);
  return lines.join('\n');
}

/** What `send` prints for a redelivery the pipeline deduplicated. */
export function describeRedelivery(
  entries: ReadonlyArray<Pick<ObservedEntry, 'id' | 'type' | 'kind' | 'status' | 'rejection' | 'collection'>>,
  firstRequestIds: readonly string[],
  platform: string,
): string {
  const first = firstRequestIds.length ? ` request ${firstRequestIds.join(', ')}` : ' an earlier request';
  const lines = [`  deduplicated: a redelivery of${first}; the pipeline logged nothing new (each entry keeps the first request's id):`];
  for (const e of entries) {
    lines.push(`  ${e.id}  ${entryHeadline(e)}`);
    const hint = entryHint(e, platform);
    if (hint) lines.push(`      ${hint}`);
  }
  return lines.join('\n');
}

/** What `send` prints when nothing showed up; the cause depends on how far the request got. */
export function nothingLoggedHint(timeoutMs: number, rawSeen: boolean): string {
  return rawSeen
    ? `  nothing in the event log after ${timeoutMs} ms, although the event log stored the body: check the [normalizer] lines of npm start`
    : `  nothing in the event log after ${timeoutMs} ms: are the normalizer and the event-log running? (see the npm start output)`;
}
