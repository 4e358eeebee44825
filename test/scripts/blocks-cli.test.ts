/** `npm run blocks`: arguments → the connect request, per platform; credentials never from argv (scripts/lib/blocks-cli.ts). */
import { UsageError } from '../../scripts/lib/args';
import { CONNECT_PLATFORMS, connectHelp, connectRequest, parseBlocksArgs } from '../../scripts/lib/blocks-cli';

const META_TOKEN = 'EAAG' + 'x'.repeat(60);
const LINE_TOKEN = 'line-access-token-' + 'y'.repeat(40);
const LINE_SECRET = 'a'.repeat(32);

/** stdin that must not be read. */
const noStdin = async (): Promise<string> => {
  throw new Error('stdin was read although the environment had everything');
};

async function request(argv: string[], env: NodeJS.ProcessEnv = {}, stdin: (variables: string) => Promise<string> = noStdin) {
  return connectRequest(parseBlocksArgs(argv), env, stdin);
}

const connect = (platform: string, ...more: string[]) => ['connect', '-w', 'ws_1', '--platform', platform, ...more];

describe('connect: arguments and environment → POST /workspaces/{ws}/blocks', () => {
  it('telegram: TELEGRAM_BOT_TOKEN, or stdin', async () => {
    expect(await request(connect('telegram', '--name', 'Support'), { TELEGRAM_BOT_TOKEN: '123:ABC' })).toEqual({
      platform: 'telegram',
      credentials: { bot_token: '123:ABC' },
      name: 'Support',
    });
    const asked: string[] = [];
    const fromStdin = await request(connect('telegram'), {}, async (variables) => {
      asked.push(variables);
      return '123:ABC\n';
    });
    expect(fromStdin).toEqual({ platform: 'telegram', credentials: { bot_token: '123:ABC' } });
    expect(asked).toEqual(['TELEGRAM_BOT_TOKEN']);
  });

  it('line: LINE_CHANNEL_ACCESS_TOKEN and LINE_CHANNEL_SECRET; those unset from stdin, one per line, in order', async () => {
    const want = { platform: 'line', credentials: { channel_access_token: LINE_TOKEN, channel_secret: LINE_SECRET } };
    expect(await request(connect('line'), { LINE_CHANNEL_ACCESS_TOKEN: LINE_TOKEN, LINE_CHANNEL_SECRET: LINE_SECRET })).toEqual(want);
    expect(await request(connect('line'), {}, async () => `${LINE_TOKEN}\r\n${LINE_SECRET}\n`)).toEqual(want);
    expect(await request(connect('line'), { LINE_CHANNEL_ACCESS_TOKEN: LINE_TOKEN }, async () => LINE_SECRET)).toEqual(want);
    await expect(request(connect('line'), {}, async () => LINE_TOKEN)).rejects.toThrow(/no LINE_CHANNEL_SECRET/);
  });

  it.each(['messenger', 'instagram'])('%s: --page-id (or META_PAGE_ID) and META_ACCESS_TOKEN (or stdin)', async (platform) => {
    const want = { platform, credentials: { page_id: '101', access_token: META_TOKEN } };
    expect(await request(connect(platform, '--page-id', '101'), { META_ACCESS_TOKEN: META_TOKEN })).toEqual(want);
    expect(await request(connect(platform, '--page-id=101'), {}, async () => `${META_TOKEN}\n`)).toEqual(want);
    expect(await request(connect(platform), { META_PAGE_ID: '101', META_ACCESS_TOKEN: META_TOKEN })).toEqual(want);
    // The option wins over the environment.
    expect(await request(connect(platform, '--page-id', '101'), { META_PAGE_ID: '999', META_ACCESS_TOKEN: META_TOKEN })).toEqual(want);
    await expect(request(connect(platform), { META_ACCESS_TOKEN: META_TOKEN })).rejects.toThrow(/needs --page-id \(or META_PAGE_ID\)/);
    await expect(request(connect(platform, '--page-id', '101', '--waba-id', '5'), { META_ACCESS_TOKEN: META_TOKEN })).rejects.toThrow(
      `--waba-id: not an input of ${platform}`,
    );
  });

  it('whatsapp: --waba-id and --phone-number-id (or META_WABA_ID, META_PHONE_NUMBER_ID) and META_ACCESS_TOKEN (or stdin)', async () => {
    const want = { platform: 'whatsapp', credentials: { waba_id: '201', phone_number_id: '301', access_token: META_TOKEN } };
    expect(await request(connect('whatsapp', '--waba-id', '201', '--phone-number-id', '301'), { META_ACCESS_TOKEN: META_TOKEN })).toEqual(
      want,
    );
    expect(await request(connect('whatsapp'), { META_WABA_ID: '201', META_PHONE_NUMBER_ID: '301' }, async () => META_TOKEN)).toEqual(want);
    await expect(request(connect('whatsapp', '--waba-id', '201'), { META_ACCESS_TOKEN: META_TOKEN })).rejects.toThrow(
      /needs --phone-number-id \(or META_PHONE_NUMBER_ID\)/,
    );
    await expect(request(connect('whatsapp', '--page-id', '1'), { META_ACCESS_TOKEN: META_TOKEN })).rejects.toThrow(UsageError);
  });

  it('a platform it cannot connect, or none, is a usage error', async () => {
    await expect(request(connect('sms'), {})).rejects.toThrow(/--platform is one of telegram, line, messenger, instagram, whatsapp/);
    await expect(request(['connect', '-w', 'ws_1'], {})).rejects.toThrow(/connect needs --platform/);
  });
});

describe('no credential on the command line', () => {
  it.each([
    ['--token', META_TOKEN],
    ['--access-token', META_TOKEN],
    ['--bot-token', '123:ABC'],
    ['--channel-secret', LINE_SECRET],
    ['--channel-access-token', LINE_TOKEN],
  ])('refuses %s, saying where credentials go, without echoing the value', (option, value) => {
    for (const argv of [connect('whatsapp', option, value), connect('whatsapp', `${option}=${value}`)]) {
      let error: unknown;
      try {
        parseBlocksArgs(argv);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(/never taken from the command line.*environment or pipe them on stdin/);
      expect((error as Error).message).not.toContain(value);
    }
  });

  it('refuses a token given as a positional argument to connect, without echoing it', () => {
    expect(() => parseBlocksArgs(connect('telegram', '123:ABC'))).toThrow(/connect takes no positional arguments/);
    try {
      parseBlocksArgs(connect('telegram', '123:ABC'));
    } catch (err) {
      expect((err as Error).message).not.toContain('123:ABC');
    }
  });

  it('the environment variable is what the request carries, never something parsed from argv', async () => {
    const cli = parseBlocksArgs(connect('messenger', '--page-id', '101'));
    expect(JSON.stringify(cli)).not.toContain(META_TOKEN);
    expect((await connectRequest(cli, { META_ACCESS_TOKEN: META_TOKEN }, noStdin)).credentials.access_token).toBe(META_TOKEN);
  });
});

describe('the other commands', () => {
  it('parses commands, block ids and options', () => {
    expect(parseBlocksArgs(['check', '--workspace', 'ws_1', 'blk_1'])).toMatchObject({
      command: 'check',
      workspace: 'ws_1',
      blockId: 'blk_1',
    });
    expect(parseBlocksArgs(['disconnect', '-w', 'ws_1', 'blk_1', '--force'])).toMatchObject({ command: 'disconnect', force: true });
    expect(parseBlocksArgs(['--help'])).toMatchObject({ help: true });
  });

  it.each([
    [['show', '-w', 'ws_1'], /show needs a block id/],
    [['list', '-w', 'ws_1', 'blk_1'], /list takes no block id/],
    [['check', 'blk_1'], /--workspace is required/],
    [['frobnicate', '-w', 'ws_1'], /unknown command frobnicate/],
    [['check', '-w', 'ws_1', 'blk_1', '--page-id', '1'], /--page-id: only for connect/],
    [['check', '-w', 'ws_1', 'blk_1', '--force'], /--force: only for disconnect/],
    [['list', '-w', 'ws_1', '--verbose'], /unknown option --verbose/],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseBlocksArgs(argv)).toThrow(message);
  });
});

describe('--help', () => {
  it("lists each platform's inputs", () => {
    const help = connectHelp();
    for (const platform of CONNECT_PLATFORMS) expect(help).toMatch(new RegExp(`^  ${platform} `, 'm'));
    for (const input of [
      'TELEGRAM_BOT_TOKEN',
      'LINE_CHANNEL_ACCESS_TOKEN',
      'LINE_CHANNEL_SECRET',
      '--page-id ID or META_PAGE_ID',
      '--waba-id ID or META_WABA_ID',
      '--phone-number-id ID or META_PHONE_NUMBER_ID',
      'META_ACCESS_TOKEN',
    ]) {
      expect(help).toContain(input);
    }
  });
});
