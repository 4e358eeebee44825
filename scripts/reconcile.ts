/**
 * `npm run reconcile`: one reconciliation run against the local stack (`npm
 * start`) or a deployment's events API, as Cloud Scheduler runs it every
 * reconcile_schedule: acknowledged webhooks whose log entries never appeared
 * are replayed (docs/operations.md#reconciliation), then the newest findings
 * are listed.
 */
import { HELP_OPTION, nonNegativeInt, parseCli, UsageError } from './lib/args';
import { identityToken } from './lib/identity-token';
import { describeFinding, describeRun, listFindings, ReconcileCallError, runReconciliation } from './lib/reconcile-cli';
import { functionPort, STACK_DEFAULTS } from './lib/stack';

const HELP = `Usage: npm run reconcile [-- options]

Runs one reconciliation pass (POST /reconciliations on the events API): every stored
webhook body older than the minimum age that has not reached the event log is
replayed through the current normalizer with its own ids, then the newest findings
are listed.

Options:
  --min-age S   look at bodies older than S seconds (default: the events API's
                RECONCILE_MIN_AGE_SECONDS, 600; 0 looks at everything now)
  --max N       look at N bodies at most in this run
  --url URL     the events API (default: EVENTS_API_URL, else the local stack's,
                http://127.0.0.1:<FUNCTIONS_PORT + its place>)
  -h, --help    this help

A URL that is not loopback (https only) gets a Google identity token for it: EVENTS_API_TOKEN, else
\`gcloud auth print-identity-token --audiences=URL\` (gcloud signed in as a service account; the
account needs run.invoker on events-api and an API_CALLERS entry with ["*"]). To impersonate one:
EVENTS_API_TOKEN=$(gcloud auth print-identity-token --impersonate-service-account=SA --audiences=URL --include-email)`;

async function main(): Promise<number> {
  const { values } = parseCli(
    process.argv.slice(2),
    { ...HELP_OPTION, 'min-age': { type: 'string' }, max: { type: 'string' }, url: { type: 'string' } },
    { positionals: false },
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const first = Number(process.env.FUNCTIONS_PORT) || STACK_DEFAULTS.functionsPort;
  const base = values.url ?? process.env.EVENTS_API_URL ?? `http://127.0.0.1:${functionPort('events-api', first)}`;
  const token = await identityToken(new URL(base), 'EVENTS_API_TOKEN');
  const summary = await runReconciliation(base, {
    minAgeSeconds: nonNegativeInt('min-age', values['min-age']),
    maxMessages: nonNegativeInt('max', values.max),
    token,
  });
  console.log(describeRun(summary));
  const findings = await listFindings(base, 10, token);
  if (findings.length) console.log(`Newest findings (GET ${base}/reconciliations):\n${findings.map(describeFinding).join('\n')}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`npm run reconcile: ${err.message}\n\n${HELP}`);
      process.exit(2);
    }
    if (err instanceof ReconcileCallError) {
      console.error(`npm run reconcile: ${err.message}`);
      process.exit(1);
    }
    console.error(err);
    process.exit(1);
  },
);
