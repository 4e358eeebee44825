/**
 * The CLIs' identity token (scripts/lib/identity-token.ts): the variable
 * first, none for the local stack, else gcloud's for the URL's audience, and
 * a failure in one line. gcloud is an external program: a tiny stand-in on
 * PATH records its arguments and answers as the real one does.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../../scripts/lib/args';
import { identityToken } from '../../scripts/lib/identity-token';
import { isLoopback } from '../../scripts/lib/loopback-url';

let dir: string;

/** A `gcloud` that writes its arguments to args.txt, then prints `stdout` (exit 0) or `stderr` (exit 1). */
function fakeGcloud(answer: { stdout: string } | { stderr: string }): NodeJS.ProcessEnv {
  const say = 'stdout' in answer ? `printf '%s\\n' '${answer.stdout}'; exit 0` : `printf '%s\\n' '${answer.stderr}' >&2; exit 1`;
  writeFileSync(path.join(dir, 'gcloud'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/args.txt'\n${say}\n`);
  chmodSync(path.join(dir, 'gcloud'), 0o755);
  return { PATH: dir };
}

const gcloudArgs = () => readFileSync(path.join(dir, 'args.txt'), 'utf8').trim().split('\n');

async function usage(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  return (err as Error).message;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'identity-token-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('identityToken', () => {
  const deployed = new URL('https://events-api-abc-ew.a.run.app/');

  it('asks gcloud for a token whose audience is the URL without its trailing slash', async () => {
    const env = fakeGcloud({ stdout: 'minted.for.events' });
    await expect(identityToken(deployed, 'EVENTS_API_TOKEN', { env })).resolves.toBe('minted.for.events');
    expect(gcloudArgs()).toEqual(['auth', 'print-identity-token', '--audiences=https://events-api-abc-ew.a.run.app']);
  });

  it('takes --token, then the variable, before gcloud', async () => {
    const env = { ...fakeGcloud({ stdout: 'from.gcloud' }), BLOCKS_API_TOKEN: 'from.variable' };
    await expect(identityToken(deployed, 'BLOCKS_API_TOKEN', { env })).resolves.toBe('from.variable');
    await expect(identityToken(deployed, 'BLOCKS_API_TOKEN', { env, given: 'from.flag' })).resolves.toBe('from.flag');
  });

  it('sends the local stack none, without asking gcloud', async () => {
    const env = fakeGcloud({ stdout: 'should.not.be.used' });
    await expect(identityToken(new URL('http://127.0.0.1:8110'), 'EVENTS_API_TOKEN', { env })).resolves.toBeUndefined();
    await expect(identityToken(new URL('http://localhost:8111/'), 'BLOCKS_API_TOKEN', { env })).resolves.toBeUndefined();
    expect(() => readFileSync(path.join(dir, 'args.txt'))).toThrow();
  });

  it("says gcloud's refusal in one line, with the impersonation command to use instead", async () => {
    const env = fakeGcloud({
      stderr: 'ERROR: (gcloud.auth.print-identity-token) Invalid account type for `--audiences`. Requires valid service account.',
    });
    const message = await usage(identityToken(deployed, 'EVENTS_API_TOKEN', { env }));
    expect(message).not.toContain('\n');
    expect(message).toContain('Invalid account type for `--audiences`');
    expect(message).toContain(
      'EVENTS_API_TOKEN=$(gcloud auth print-identity-token --impersonate-service-account=SA --audiences=https://events-api-abc-ew.a.run.app --include-email)',
    );
  });

  it('says so when gcloud is not installed', async () => {
    const message = await usage(identityToken(deployed, 'EVENTS_API_TOKEN', { env: { PATH: dir } }));
    expect(message).toMatch(/gcloud is not installed or not on PATH/);
  });

  it('refuses to send a token over plain http to another machine, whatever its source', async () => {
    const env = { ...fakeGcloud({ stdout: 'minted' }), EVENTS_API_TOKEN: 'secret.token' };
    const message = await usage(identityToken(new URL('http://events.example.com'), 'EVENTS_API_TOKEN', { env }));
    expect(message).toBe('refusing to send an identity token to http://events.example.com: a URL that is not this machine must be https');
    expect(message).not.toContain('secret.token');
  });
});

describe('isLoopback', () => {
  it('is this machine by name or address, and nothing else', () => {
    expect(['http://127.0.0.1:8110', 'http://localhost', 'http://[::1]:8080/x'].map((u) => isLoopback(u))).toEqual([true, true, true]);
    expect(['https://example.com', 'http://127.0.0.2', 'http://localhost.example.com'].map((u) => isLoopback(u))).toEqual([
      false,
      false,
      false,
    ]);
  });
});
