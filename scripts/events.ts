/**
 * `npm run events -- <command>`: read and replay the event log through the
 * events API (docs/events-api.md#the-events-cli), against the local stack or
 * a deployment. Parsing and formatting: scripts/lib/events-cli.ts; the
 * requests: scripts/lib/events-run.ts.
 *
 * A deployment's events-api is private: requests to a URL that is not
 * loopback carry `Authorization: Bearer <Google identity token>`, from
 * --token, else EVENTS_API_TOKEN, else gcloud's for the URL
 * (scripts/lib/identity-token.ts). The token is never printed.
 */
import { UsageError } from './lib/args';
import { DEFAULT_WORKSPACE, EVENT_FILTERS, EVENTS_COMMANDS, parseEventsArgs, UNROUTED_FILTERS } from './lib/events-cli';
import { apiClient, runEvents } from './lib/events-run';
import { identityToken } from './lib/identity-token';
import { functionPort, STACK_DEFAULTS } from './lib/stack';

const flags = (names: readonly string[]) => names.map((n) => `--${n.replace(/_/g, '-')}`).join(' ');

const HELP = `Usage:
  npm run events -- ls       [filters] [--limit N] [--cursor C]     the log, newest first
  npm run events -- tail     [filters] [--interval S]               follow new events, one line each (Ctrl-C stops)
  npm run events -- show     ID                                     one event: outcomes, envelope, raw item
  npm run events -- replay   ID [--key K]                           replay one event
  npm run events -- replay   [filters] [--dry-run] [--yes] [--max N] [--key K]
                                                                    bulk replay: counts first; --yes replays, with a progress bar
  npm run events -- unrouted [--platform P] [--reason R] [--account A] [--from T] [--to T]
                                                                    the unrouted entries (operators)
  npm run events -- unrouted replay ID                              route an unrouted entry again, once its Block is connected

Filters: ${flags(EVENT_FILTERS)}, or --filter name=value (repeatable),
e.g. --status failed --replayed false --from 2026-04-01T00:00:00Z. unrouted: ${flags(UNROUTED_FILTERS)}.
A bulk replay with no filter replays the whole log: it needs --yes like any other.
Commands: ${EVENTS_COMMANDS.join(', ')}.

Options:
  --workspace, -w WS  the workspace (default ${DEFAULT_WORKSPACE}, the local stack's demo workspace)
  --url URL           the events API (default EVENTS_API_URL, else the local stack's events-api,
                      http://127.0.0.1:${functionPort('events-api')} by default)
  --token TOKEN       a Google identity token for a deployment (default EVENTS_API_TOKEN, else
                      \`gcloud auth print-identity-token --audiences=URL\`, gcloud signed in as a
                      service account; loopback URLs get none); never printed. A person impersonates one:
                      EVENTS_API_TOKEN=$(gcloud auth print-identity-token --impersonate-service-account=SA
                      --audiences=URL --include-email)
  --json              the API's answers as JSON (tail: one JSON object per line)
  -h, --help`;

function localUrl(): string {
  const first = Number(process.env.FUNCTIONS_PORT) || STACK_DEFAULTS.functionsPort;
  return `http://127.0.0.1:${functionPort('events-api', first)}`;
}

async function main(argv: string[]): Promise<number> {
  const cli = parseEventsArgs(argv);
  if (cli.help || !cli.command) {
    console.log(HELP);
    return cli.help ? 0 : 2;
  }
  const base = new URL(cli.url ?? process.env.EVENTS_API_URL ?? localUrl());
  const call = apiClient(base, await identityToken(base, 'EVENTS_API_TOKEN', cli.token ? { given: cli.token } : {}));
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  const tty = process.stdout.isTTY;
  return runEvents(cli, call, {
    out: (text) => console.log(text),
    err: (text) => console.error(text),
    // On a terminal the bar redraws in place; piped, each state is a line.
    progress: (text) => (tty ? process.stdout.write(`\r${text}`) : console.log(text)),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    signal: stop.signal,
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${HELP}`);
      process.exit(2);
    }
    const cause = (err as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
    const detail = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message;
    console.error(`the events API could not be reached${detail ? ` (${detail})` : ''}: ${(err as Error).message}`);
    process.exit(1);
  },
);
