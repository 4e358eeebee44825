/**
 * `npm run blocks -- <command>`: connect, disconnect, rotate, check, list and
 * show Blocks through the blocks API (shared/blocks/app.ts, docs/blocks.md),
 * the same against the local stack and a deployment.
 *
 * A deployment's blocks-api is private (Cloud Run invoker IAM, then its own
 * check of the token's audience and of the caller's workspaces): requests to a
 * URL that is not loopback carry `Authorization: Bearer <Google identity
 * token>`, from BLOCKS_API_TOKEN when set, else from `gcloud auth
 * print-identity-token --audiences=<the URL>` (gcloud signed in as a service
 * account with run.invoker on the function and an api_callers entry: terraform
 * var.invokers, var.api_callers; to impersonate one, set BLOCKS_API_TOKEN with
 * --impersonate-service-account and --include-email). Credentials are read
 * from the environment or stdin, never from the command line (shell history,
 * `ps`), and never printed.
 */
import { UsageError } from './lib/args';
import { BLOCKS_COMMANDS, connectHelp, connectRequest, parseBlocksArgs, type BlocksCommand } from './lib/blocks-cli';
import { identityToken } from './lib/identity-token';
import { functionPort, STACK_DEFAULTS } from './lib/stack';

const HELP = `Usage:
  npm run blocks -- list       --workspace WS
  npm run blocks -- show       --workspace WS <block_id>
  npm run blocks -- connect    --workspace WS --platform telegram|line|messenger|instagram|whatsapp [ids] [--name NAME]
  npm run blocks -- disconnect --workspace WS <block_id> [--force]
  npm run blocks -- rotate     --workspace WS <block_id>
  npm run blocks -- check      --workspace WS <block_id>

${connectHelp()}
The Meta platforms also need the deployment's Meta app (META_APP_ID, META_APP_SECRET, META_VERIFY_TOKEN
of blocks-api: docs/configuration.md), not anything here.
rotate of a LINE Block takes the channel secret you reissued in the LINE Developers
Console: LINE_CHANNEL_SECRET, or stdin. The old one stays accepted for 24 hours.
Commands: ${BLOCKS_COMMANDS.join(', ')}.

Options:
  --url URL      the blocks API (default BLOCKS_API_URL, else the local stack's blocks-api:
                 http://127.0.0.1:<FUNCTIONS_PORT + its place in topology.json>, port ${functionPort('blocks-api')} by default)
  --json         print the API's answer as it is
  -h, --help

A URL that is not loopback gets a Google identity token for that URL: BLOCKS_API_TOKEN, else
\`gcloud auth print-identity-token --audiences=URL\` (gcloud signed in as a service account). To
impersonate one: BLOCKS_API_TOKEN=$(gcloud auth print-identity-token
  --impersonate-service-account=SA --audiences=URL --include-email).`;

function localUrl(): string {
  const first = Number(process.env.FUNCTIONS_PORT) || STACK_DEFAULTS.functionsPort;
  return `http://127.0.0.1:${functionPort('blocks-api', first)}`;
}

async function readStdin(variables: string): Promise<string> {
  if (process.stdin.isTTY) {
    throw new UsageError(`no credentials: set ${variables}, or pipe them on stdin (they are never taken from the command line)`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(base: URL, token: string | undefined, method: 'GET' | 'POST', path: string, body?: object): Promise<Answer> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { error: `http_${res.status}`, message: text.slice(0, 500) };
  }
  return { status: res.status, body: parsed };
}

function describeBlock(block: Record<string, unknown>): string {
  const name = block.name ? ` ${String(block.name)}` : '';
  return `${String(block.block_id)}  ${String(block.platform)} ${String(block.account_id)}${name}  ${String(block.status)}`;
}

function print(command: BlocksCommand, answer: Answer): void {
  const body = answer.body;
  if (command === 'list') {
    const blocks = (body.blocks as Array<Record<string, unknown>>) ?? [];
    console.log(blocks.length ? blocks.map(describeBlock).join('\n') : 'no Blocks in this workspace');
    return;
  }
  const block = body.block as Record<string, unknown> | undefined;
  if (block) console.log(describeBlock(block));
  if (command === 'connect') console.log(body.created ? 'connected' : 'already connected (nothing changed)');
  if (command === 'disconnect') console.log(body.changed ? 'disconnected' : 'was already disconnected');
  if (command === 'rotate') console.log('webhook secret rotated');
  if (command === 'check') {
    console.log(`webhook: ${JSON.stringify(body.webhook)}`);
    if (body.error_event_id) console.log(`published platform.block.error ${String(body.error_event_id)}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const cli = parseBlocksArgs(argv);
  const { command, blockId } = cli;
  if (cli.help || !command) {
    console.log(HELP);
    return cli.help ? 0 : 2;
  }
  const ws = cli.workspace ?? '';
  // The credentials first: a usage error there needs no token for the API.
  const connectBody = command === 'connect' ? await connectRequest(cli, process.env, readStdin) : undefined;

  const base = new URL(cli.url ?? process.env.BLOCKS_API_URL ?? localUrl());
  const token = await identityToken(base, 'BLOCKS_API_TOKEN');
  const blocks = `/workspaces/${encodeURIComponent(ws)}/blocks`;
  const one = `${blocks}/${encodeURIComponent(blockId ?? '')}`;
  let answer: Answer;
  switch (command) {
    case 'list':
      answer = await call(base, token, 'GET', blocks);
      break;
    case 'show':
      answer = await call(base, token, 'GET', one);
      break;
    case 'connect':
      answer = await call(base, token, 'POST', blocks, connectBody);
      break;
    case 'disconnect':
      answer = await call(base, token, 'POST', `${one}/disconnect`, cli.force ? { force: true } : {});
      break;
    case 'rotate': {
      // LINE's rotation takes the channel secret the operator reissued; Telegram's makes its own.
      const shown = await call(base, token, 'GET', one);
      const platform = (shown.body.block as { platform?: string } | undefined)?.platform;
      const body =
        platform === 'line'
          ? { credentials: { channel_secret: process.env.LINE_CHANNEL_SECRET || (await readStdin('LINE_CHANNEL_SECRET')) } }
          : {};
      answer = shown.status >= 400 ? shown : await call(base, token, 'POST', `${one}/rotate`, body);
      break;
    }
    default:
      answer = await call(base, token, 'POST', `${one}/${command}`, {});
  }
  if (cli.json) console.log(JSON.stringify(answer.body, null, 2));
  if (answer.status >= 400) {
    // Problem details (RFC 9457): `code` and `detail`.
    console.error(`${answer.status} ${String(answer.body.code)}: ${String(answer.body.detail)}`);
    return 1;
  }
  if (!cli.json) print(command, answer);
  if (command === 'check' && (answer.body.webhook as { ok?: boolean } | undefined)?.ok === false) return 1;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`${(err as Error).message}\n\n${HELP}`);
      process.exit(2);
    }
    const cause = (err as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
    const detail = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message;
    console.error(`the blocks API could not be reached${detail ? ` (${detail})` : ''}: ${(err as Error).message}`);
    process.exit(1);
  },
);
