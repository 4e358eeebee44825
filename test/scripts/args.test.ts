/** The one argument parser of npm start, npm run send and npm run normalize (scripts/lib/args.ts and each script's options). */
import { nonNegativeInt, parseCli, positiveInt, UsageError } from '../../scripts/lib/args';
import { parseNormalizeArgs } from '../../scripts/lib/normalize-cli';
import { parseSendArgs } from '../../scripts/lib/send-cli';
import { parseStartArgs } from '../../scripts/lib/start-cli';

const FUNCTIONS = ['webhook-line', 'normalizer', 'event-log'];
const usage = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no UsageError');
};

describe('parseCli', () => {
  const options = { id: { type: 'string' }, list: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

  it('takes --name value and --name=value alike', () => {
    expect(parseCli(['--id', 'x', 'p'], options)).toEqual({ values: { id: 'x' }, positionals: ['p'] });
    expect(parseCli(['--id=x', 'p'], options)).toEqual({ values: { id: 'x' }, positionals: ['p'] });
    expect(parseCli(['-h'], options).values.help).toBe(true);
  });

  it('words its errors the same for every script', () => {
    expect(usage(() => parseCli(['--nope'], options))).toBe('unknown option --nope');
    expect(usage(() => parseCli(['--id'], options))).toBe('--id needs a value');
    expect(usage(() => parseCli(['--id='], options))).toBe('--id needs a value');
    expect(usage(() => parseCli(['--id', '--list'], options))).toBe('--id needs a value');
    expect(usage(() => parseCli(['--list=yes'], options))).toBe('--list takes no value');
  });

  it('checks whole numbers', () => {
    expect(positiveInt('timeout', '500')).toBe(500);
    expect(positiveInt('timeout', undefined)).toBeUndefined();
    expect(usage(() => positiveInt('timeout', '1.5'))).toMatch(/^--timeout must be a positive whole number/);
    expect(usage(() => positiveInt('timeout', '0'))).toMatch(/^--timeout must be a positive whole number/);
    expect(usage(() => positiveInt('timeout', '1e3'))).toMatch(/^--timeout must be a positive whole number/);
  });

  it('takes 0 where a count or an age may be none', () => {
    expect(nonNegativeInt('min-age', '0')).toBe(0);
    expect(nonNegativeInt('min-age', '600')).toBe(600);
    expect(usage(() => nonNegativeInt('min-age', '-1'))).toBe('--min-age must be a whole number, got "-1"');
  });
});

describe('the three scripts accept the same forms', () => {
  it('send takes --id=x (it used to refuse it)', () => {
    expect(parseSendArgs(['line', 'text', '--id=demo1']).id).toBe('demo1');
    expect(parseSendArgs(['line', 'text', '--id', 'demo1']).id).toBe('demo1');
  });

  it('start and normalize take both forms too', () => {
    expect(parseStartArgs(['--only=normalizer'], FUNCTIONS).only).toEqual(['normalizer']);
    expect(parseStartArgs(['--only', 'normalizer,event-log'], FUNCTIONS).only).toEqual(['normalizer', 'event-log']);
    expect(parseNormalizeArgs(['--platform=line', 'body.json'])).toMatchObject({ platform: 'line', file: 'body.json' });
    expect(parseNormalizeArgs(['--platform', 'line'])).toMatchObject({ platform: 'line', file: '-' });
  });

  it('all refuse an unknown option the same way', () => {
    expect(usage(() => parseSendArgs(['line', 'text', '--project=x']))).toBe('unknown option --project');
    expect(usage(() => parseStartArgs(['--project=x'], FUNCTIONS))).toBe('unknown option --project');
    expect(usage(() => parseNormalizeArgs(['--project=x']))).toBe('unknown option --project');
  });
});

describe('npm start options', () => {
  it('refuses a misspelt --only name, with the list of names', () => {
    expect(usage(() => parseStartArgs(['--only', 'webhook-line,normaliser'], FUNCTIONS))).toBe(
      '--only: no function normaliser in topology.json; the functions are: webhook-line, normalizer, event-log',
    );
    expect(usage(() => parseStartArgs(['--only', ','], FUNCTIONS))).toMatch(/^--only needs a comma-separated list/);
  });

  it('reads --persist, --watch, --dist, --no-seed', () => {
    expect(parseStartArgs(['--persist', '--watch', '--no-seed'], FUNCTIONS)).toEqual({
      help: false,
      mode: 'source',
      seed: false,
      persist: true,
      watch: true,
    });
    expect(parseStartArgs(['--dist'], FUNCTIONS).mode).toBe('dist');
    expect(usage(() => parseStartArgs(['--watch', '--dist'], FUNCTIONS))).toMatch(/cannot go with --dist/);
    expect(usage(() => parseStartArgs(['dist'], FUNCTIONS))).toMatch(/^unexpected argument dist/);
  });
});

describe('npm run send options', () => {
  it('reads a sample send', () => {
    expect(parseSendArgs(['messenger', 'text'])).toEqual({
      help: false,
      list: false,
      platform: 'messenger',
      sample: 'text',
      badSignature: false,
      wait: true,
      timeoutMs: 20_000,
      trace: false,
    });
  });

  it('--trace prints the steps of the request it follows', () => {
    expect(parseSendArgs(['telegram', 'text', '--trace'])).toMatchObject({ platform: 'telegram', trace: true, wait: true });
    expect(usage(() => parseSendArgs(['telegram', 'text', '--trace', '--no-wait']))).toMatch(/does not go with --no-wait/);
  });

  it('signs for a real deployment with --url and --secret', () => {
    expect(parseSendArgs(['line', '--file', 'body.json', '--url=https://example.test/webhook', '--secret', 's3cret'])).toMatchObject({
      platform: 'line',
      file: 'body.json',
      url: 'https://example.test/webhook',
      secret: 's3cret',
    });
    expect(usage(() => parseSendArgs(['line', 'text', '--secret', 's', '--bad-signature']))).toMatch(/do not go together/);
    expect(usage(() => parseSendArgs(['line', 'text', '--url', 'example.test']))).toMatch(/^--url must be an http\(s\) URL/);
  });

  it('refuses what it cannot do', () => {
    expect(usage(() => parseSendArgs([]))).toBe('which platform?');
    expect(usage(() => parseSendArgs(['myspace', 'text']))).toMatch(/^unknown platform myspace/);
    expect(usage(() => parseSendArgs(['line']))).toMatch(/^which sample\?/);
    expect(usage(() => parseSendArgs(['line', 'text', '--file', 'x.json']))).toMatch(/not both/);
    expect(usage(() => parseSendArgs(['line', 'text', '--timeout', '0']))).toMatch(/^--timeout must be a positive whole number/);
    expect(parseSendArgs(['--list']).list).toBe(true);
  });
});

describe('npm run normalize options', () => {
  it('takes a shipped sample: the platform comes from it', () => {
    expect(parseNormalizeArgs(['--sample', 'messenger/text'])).toMatchObject({
      platform: 'messenger',
      sample: { platform: 'messenger', name: 'text' },
      file: undefined,
    });
    expect(parseNormalizeArgs(['--sample=line/text.json', '--id', 'x'])).toMatchObject({
      sample: { platform: 'line', name: 'text' },
      id: 'x',
    });
  });

  it('refuses a bad --sample, a mismatched --platform, half a route', () => {
    expect(usage(() => parseNormalizeArgs(['--sample', 'text']))).toMatch(/^--sample takes <platform>\/<name>/);
    expect(usage(() => parseNormalizeArgs(['--sample', 'line/text', '--platform', 'messenger']))).toMatch(/does not match/);
    expect(usage(() => parseNormalizeArgs(['--sample', 'line/text', 'body.json']))).toMatch(/not both/);
    expect(usage(() => parseNormalizeArgs(['--platform', 'line', '--workspace', 'w']))).toBe('--workspace and --block go together');
    expect(usage(() => parseNormalizeArgs([]))).toMatch(/^--platform is required/);
  });
});
