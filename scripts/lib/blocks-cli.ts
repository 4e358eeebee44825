/**
 * `npm run blocks`'s command line (scripts/blocks.ts): the options, and what a
 * `connect` sends for each platform. Pure (the environment and stdin are
 * passed in), so the mapping is tested (test/scripts/blocks-cli.test.ts).
 *
 * Credentials (tokens, secrets) come from environment variables or stdin,
 * never from the command line (shell history, `ps`): an option that looks like
 * one is refused with a message saying where they go. Account ids (a Page id,
 * a WABA id) are not secrets: an option, or an environment variable.
 */
import { HELP_OPTION, parseCli, UsageError, type ParsedCli } from './args';

export const BLOCKS_COMMANDS = ['list', 'show', 'connect', 'disconnect', 'rotate', 'check'] as const;
export type BlocksCommand = (typeof BLOCKS_COMMANDS)[number];

/** The platforms `connect` can connect, each with what it takes. */
export const CONNECT_PLATFORMS = ['telegram', 'line', 'messenger', 'instagram', 'whatsapp'] as const;
export type ConnectPlatform = (typeof CONNECT_PLATFORMS)[number];

/** An account id: `--<option>`, else the environment variable; the API's credentials field. */
interface IdInput {
  option: 'page-id' | 'waba-id' | 'phone-number-id';
  variable: string;
  field: string;
  what: string;
}

/** A credential: the environment variable, else the next line of stdin; the API's credentials field. */
interface SecretInput {
  variable: string;
  field: string;
  what: string;
}

const PAGE_ID = (what: string): IdInput => ({ option: 'page-id', variable: 'META_PAGE_ID', field: 'page_id', what });
const META_TOKEN = (what: string): SecretInput => ({ variable: 'META_ACCESS_TOKEN', field: 'access_token', what });

/** What each platform's connect takes (the API's `credentials`, docs/blocks.md). */
export const CONNECT_INPUTS: Record<ConnectPlatform, { ids: IdInput[]; secrets: SecretInput[] }> = {
  telegram: { ids: [], secrets: [{ variable: 'TELEGRAM_BOT_TOKEN', field: 'bot_token', what: 'the token from @BotFather' }] },
  line: {
    ids: [],
    secrets: [
      { variable: 'LINE_CHANNEL_ACCESS_TOKEN', field: 'channel_access_token', what: 'the Messaging API channel access token' },
      { variable: 'LINE_CHANNEL_SECRET', field: 'channel_secret', what: 'the channel secret' },
    ],
  },
  messenger: { ids: [PAGE_ID('the Page id')], secrets: [META_TOKEN('a Page access token')] },
  instagram: {
    ids: [PAGE_ID('the id of the Page the Instagram professional account is linked to')],
    secrets: [META_TOKEN('a Page access token of that Page')],
  },
  whatsapp: {
    ids: [
      { option: 'waba-id', variable: 'META_WABA_ID', field: 'waba_id', what: 'the WhatsApp Business Account id' },
      { option: 'phone-number-id', variable: 'META_PHONE_NUMBER_ID', field: 'phone_number_id', what: 'the phone number id' },
    ],
    secrets: [META_TOKEN('a system user access token of the business')],
  },
};

/** The help's lines on connect's inputs, one platform after the other. */
export function connectHelp(): string {
  const lines = [
    'connect takes account ids as options (or environment variables) and credentials from the',
    'environment, or from stdin (one per line, in this order) when unset; never from the command line:',
  ];
  for (const platform of CONNECT_PLATFORMS) {
    const { ids, secrets } = CONNECT_INPUTS[platform];
    const parts = [...ids.map((i) => `--${i.option} ID or ${i.variable} (${i.what})`), ...secrets.map((s) => `${s.variable} (${s.what})`)];
    lines.push(`  ${platform.padEnd(10)} ${parts.join(';\n             ')}`);
  }
  return lines.join('\n');
}

export const BLOCKS_OPTIONS = {
  ...HELP_OPTION,
  workspace: { type: 'string', short: 'w' },
  platform: { type: 'string', short: 'p' },
  name: { type: 'string' },
  'page-id': { type: 'string' },
  'waba-id': { type: 'string' },
  'phone-number-id': { type: 'string' },
  url: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export interface BlocksCli {
  help: boolean;
  command?: BlocksCommand;
  blockId?: string;
  workspace?: string;
  platform?: string;
  name?: string;
  ids: Partial<Record<IdInput['option'], string>>;
  url?: string;
  force: boolean;
  json: boolean;
}

/** An option that would put a credential on the command line. */
const CREDENTIAL_OPTION = /token|secret|password|credential|key/i;

export function parseBlocksArgs(argv: readonly string[]): BlocksCli {
  let parsed: ParsedCli<typeof BLOCKS_OPTIONS>;
  try {
    parsed = parseCli(argv, BLOCKS_OPTIONS);
  } catch (err) {
    const flag = /^unknown option (\S+)/.exec((err as Error).message)?.[1];
    if (flag && CREDENTIAL_OPTION.test(flag)) {
      throw new UsageError(
        `${flag}: credentials are never taken from the command line (shell history, ps); set them in the environment or pipe them on stdin (--help lists each platform's)`,
      );
    }
    throw err;
  }
  const { values, positionals } = parsed;
  const cli: BlocksCli = {
    help: values.help === true,
    workspace: values.workspace,
    platform: values.platform,
    name: values.name,
    ids: {
      ...(values['page-id'] !== undefined ? { 'page-id': values['page-id'] } : {}),
      ...(values['waba-id'] !== undefined ? { 'waba-id': values['waba-id'] } : {}),
      ...(values['phone-number-id'] !== undefined ? { 'phone-number-id': values['phone-number-id'] } : {}),
    },
    url: values.url,
    force: values.force === true,
    json: values.json === true,
  };
  const [command, blockId, ...extra] = positionals;
  if (cli.help || command === undefined) return cli;
  if (!(BLOCKS_COMMANDS as readonly string[]).includes(command)) {
    throw new UsageError(`unknown command ${command}; one of ${BLOCKS_COMMANDS.join(', ')}`);
  }
  cli.command = command as BlocksCommand;
  if (cli.command === 'connect') {
    // Not echoed: it may be a token typed where it does not belong.
    if (blockId !== undefined) {
      throw new UsageError('connect takes no positional arguments: credentials come from the environment or stdin, never the command line');
    }
  } else {
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const given = Object.keys(cli.ids);
    if (given.length || cli.platform !== undefined || cli.name !== undefined) {
      throw new UsageError(
        `${[...(cli.platform !== undefined ? ['--platform'] : []), ...(cli.name !== undefined ? ['--name'] : []), ...given.map((o) => `--${o}`)].join(', ')}: only for connect`,
      );
    }
    if (cli.command !== 'list' && !blockId) throw new UsageError(`${cli.command} needs a block id`);
    if (cli.command === 'list' && blockId) throw new UsageError('list takes no block id');
  }
  if (cli.force && cli.command !== 'disconnect') throw new UsageError('--force: only for disconnect');
  if (!cli.workspace) throw new UsageError('--workspace is required');
  if (blockId !== undefined) cli.blockId = blockId;
  return cli;
}

export interface ConnectRequest {
  platform: ConnectPlatform;
  credentials: Record<string, string>;
  name?: string;
}

/**
 * The body of `POST /workspaces/{ws}/blocks` for `connect`: account ids from
 * their options (else the environment), credentials from the environment,
 * those unset from stdin (read only then: `stdin()` gives its text), one per
 * line in CONNECT_INPUTS order.
 */
export async function connectRequest(
  cli: BlocksCli,
  env: NodeJS.ProcessEnv,
  stdin: (variables: string) => Promise<string>,
): Promise<ConnectRequest> {
  const platform = cli.platform;
  if (!platform) throw new UsageError(`connect needs --platform (${CONNECT_PLATFORMS.join(', ')})`);
  if (!(CONNECT_PLATFORMS as readonly string[]).includes(platform)) {
    throw new UsageError(`cannot connect ${platform}; --platform is one of ${CONNECT_PLATFORMS.join(', ')}`);
  }
  const inputs = CONNECT_INPUTS[platform as ConnectPlatform];
  const foreign = Object.keys(cli.ids).filter((o) => !inputs.ids.some((i) => i.option === o));
  if (foreign.length) throw new UsageError(`${foreign.map((o) => `--${o}`).join(', ')}: not an input of ${platform}`);

  const credentials: Record<string, string> = {};
  for (const id of inputs.ids) {
    const value = cli.ids[id.option] ?? env[id.variable];
    if (!value) throw new UsageError(`connect --platform ${platform} needs --${id.option} (or ${id.variable}): ${id.what}`);
    credentials[id.field] = value.trim();
  }
  const missing = inputs.secrets.filter((s) => !env[s.variable]);
  const lines = missing.length
    ? (await stdin(missing.map((s) => s.variable).join(' and ')))
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length > 0)
    : [];
  for (const secret of inputs.secrets) {
    const value = env[secret.variable] || lines[missing.indexOf(secret)];
    if (!value) {
      throw new UsageError(
        `no ${secret.variable}: set it, or pipe ${missing.length > 1 ? `${missing.map((s) => s.variable).join(', ')} on stdin, one per line` : 'it on stdin'}`,
      );
    }
    credentials[secret.field] = value;
  }
  return { platform: platform as ConnectPlatform, credentials, ...(cli.name !== undefined ? { name: cli.name } : {}) };
}
