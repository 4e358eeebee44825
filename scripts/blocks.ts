/**
 * `npm run blocks -- <command>`: connect, disconnect, rotate, check, list and
 * show Blocks through the blocks API (shared/blocks/app.ts, docs/blocks.md),
 * the same against the local stack and a deployment.
 *
 * A deployment's blocks-api is private (Cloud Run invoker IAM): requests to a
 * URL that is not loopback carry `Authorization: Bearer <Google identity
 * token>`, from BLOCKS_API_TOKEN when set, else from `gcloud auth
 * print-identity-token` (the signed-in gcloud account, which needs
 * run.invoker on the function: terraform var.invokers). Credentials are read
 * from the environment or stdin, never from the command line (shell history,
 * `ps`), and never printed.
 */
import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { functionPort, STACK_DEFAULTS } from './lib/stack';

const HELP = `Usage:
  npm run blocks -- list       --workspace WS
  npm run blocks -- show       --workspace WS <block_id>
  npm run blocks -- connect    --workspace WS --platform telegram|line [--name NAME]
  npm run blocks -- disconnect --workspace WS <block_id> [--force]
  npm run blocks -- rotate     --workspace WS <block_id>
  npm run blocks -- check      --workspace WS <block_id>

connect reads the credentials from the environment, or from stdin when unset:
  telegram   TELEGRAM_BOT_TOKEN (the token from @BotFather)
  line       LINE_CHANNEL_ACCESS_TOKEN and LINE_CHANNEL_SECRET (Messaging API channel);
             on stdin: the token on the first line, the secret on the second
rotate of a LINE Block takes the channel secret you reissued in the LINE Developers
Console: LINE_CHANNEL_SECRET, or stdin. The old one stays accepted for 24 hours.

Options:
  --url URL      the blocks API (default BLOCKS_API_URL, else the local stack's blocks-api:
                 http://127.0.0.1:<FUNCTIONS_PORT + its place in topology.json>, port ${functionPort('blocks-api')} by default)
  --json         print the API's answer as it is
  -h, --help

A URL that is not loopback gets a Google identity token: BLOCKS_API_TOKEN, else
\`gcloud auth print-identity-token\`.`;

const COMMANDS = ['list', 'show', 'connect', 'disconnect', 'rotate', 'check'] as const;
type Command = (typeof COMMANDS)[number];

class UsageError extends Error {}

function localUrl(): string {
  const first = Number(process.env.FUNCTIONS_PORT) || STACK_DEFAULTS.functionsPort;
  return `http://127.0.0.1:${functionPort('blocks-api', first)}`;
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

async function identityToken(url: URL): Promise<string | undefined> {
  if (isLoopback(url)) return undefined;
  if (process.env.BLOCKS_API_TOKEN) return process.env.BLOCKS_API_TOKEN;
  try {
    const { stdout } = await promisify(execFile)('gcloud', ['auth', 'print-identity-token'], { timeout: 30_000 });
    return stdout.trim();
  } catch (err) {
    throw new UsageError(
      `could not get a Google identity token from \`gcloud auth print-identity-token\` (${(err as Error).message.split('\n')[0]}); sign in with \`gcloud auth login\` or set BLOCKS_API_TOKEN`,
    );
  }
}

async function readStdin(variables = 'TELEGRAM_BOT_TOKEN'): Promise<string> {
  if (process.stdin.isTTY) {
    throw new UsageError(`no credentials: set ${variables}, or pipe them on stdin (they are never taken from the command line)`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

async function credentials(platform: string): Promise<Record<string, string>> {
  if (platform === 'telegram') return { bot_token: process.env.TELEGRAM_BOT_TOKEN || (await readStdin()) };
  if (platform === 'line') {
    let token = process.env.LINE_CHANNEL_ACCESS_TOKEN;
    let secret = process.env.LINE_CHANNEL_SECRET;
    if (!token || !secret) {
      const lines = (await readStdin('LINE_CHANNEL_ACCESS_TOKEN and LINE_CHANNEL_SECRET')).split(/\r?\n/).map((l) => l.trim());
      token ||= lines[0];
      secret ||= token === lines[0] ? lines[1] : lines[0];
    }
    return { channel_access_token: token ?? '', channel_secret: secret ?? '' };
  }
  throw new UsageError(`connecting ${platform} from the CLI is not implemented yet (telegram and line, docs/blocks.md)`);
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

function print(command: Command, answer: Answer): void {
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
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      workspace: { type: 'string', short: 'w' },
      platform: { type: 'string', short: 'p' },
      name: { type: 'string' },
      url: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, blockId, ...extra] = positionals;
  if (values.help || !command) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  if (!(COMMANDS as readonly string[]).includes(command)) throw new UsageError(`unknown command ${command}; one of ${COMMANDS.join(', ')}`);
  if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  const ws = values.workspace;
  if (!ws) throw new UsageError('--workspace is required');
  const needsBlock = command !== 'list' && command !== 'connect';
  if (needsBlock && !blockId) throw new UsageError(`${command} needs a block id`);
  if (!needsBlock && blockId) throw new UsageError(`${command} takes no block id`);

  const base = new URL(values.url ?? process.env.BLOCKS_API_URL ?? localUrl());
  const token = await identityToken(base);
  const blocks = `/workspaces/${encodeURIComponent(ws)}/blocks`;
  const one = `${blocks}/${encodeURIComponent(blockId ?? '')}`;
  let answer: Answer;
  switch (command as Command) {
    case 'list':
      answer = await call(base, token, 'GET', blocks);
      break;
    case 'show':
      answer = await call(base, token, 'GET', one);
      break;
    case 'connect': {
      if (!values.platform) throw new UsageError('connect needs --platform');
      const body = {
        platform: values.platform,
        credentials: await credentials(values.platform),
        ...(values.name ? { name: values.name } : {}),
      };
      answer = await call(base, token, 'POST', blocks, body);
      break;
    }
    case 'disconnect':
      answer = await call(base, token, 'POST', `${one}/disconnect`, values.force ? { force: true } : {});
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
  if (values.json) console.log(JSON.stringify(answer.body, null, 2));
  if (answer.status >= 400) {
    console.error(`${answer.status} ${String(answer.body.error)}: ${String(answer.body.message)}`);
    return 1;
  }
  if (!values.json) print(command as Command, answer);
  if (command === 'check' && (answer.body.webhook as { ok?: boolean } | undefined)?.ok === false) return 1;
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(err as Error).message}\n\n${HELP}`);
      process.exit(2);
    }
    const cause = (err as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
    const detail = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message;
    console.error(`the blocks API could not be reached${detail ? ` (${detail})` : ''}: ${(err as Error).message}`);
    process.exit(1);
  },
);
