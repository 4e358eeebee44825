/**
 * `npm run build` produces deployable webhook functions: one index.js, a
 * package.json naming only what the bundle requires, and a bundle that really
 * serves under the functions-framework CLI and publishes to Pub/Sub.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../scripts/lib/emulators';
import { request } from './helpers/http-client';
import { createTopicWithSubscription } from './helpers/pubsub-emulator';
import { signedRequest } from './helpers/webhook-signing';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const FF_BIN = path.join(ROOT, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
const WEBHOOKS = ['webhook-instagram', 'webhook-messenger', 'webhook-whatsapp', 'webhook-line', 'webhook-telegram'];

let buildOutput = '';

beforeAll(async () => {
  const { stdout } = await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, maxBuffer: 10 * 1024 * 1024 });
  buildOutput = stdout;
}, 120_000);

it.each(WEBHOOKS)('%s: dist holds index.js and a package.json listing only what the bundle requires', (name) => {
  const dir = path.join(DIST, name);
  expect(readdirSync(dir).sort()).toEqual(['index.js', 'package.json']);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(manifest.main).toBe('index.js');
  expect(manifest.engines).toEqual(root.engines);
  expect(manifest.dependencies).toEqual({ '@google-cloud/functions-framework': root.dependencies['@google-cloud/functions-framework'] });
  expect(manifest).not.toHaveProperty('devDependencies');

  const bundle = readFileSync(path.join(dir, 'index.js'), 'utf8');
  const required = new Set([...bundle.matchAll(/require\("([^".][^"]*)"\)/g)].map((m) => m[1]!.replace(/^node:/, '')));
  const packages = [...required].filter((r) => !require('node:module').builtinModules.includes(r.split('/')[0]));
  expect(packages).toEqual(['@google-cloud/functions-framework']);
});

it('keeps Firestore out of the Meta bundles (cold start) and in the LINE one', () => {
  expect(readFileSync(path.join(DIST, 'webhook-whatsapp', 'index.js'), 'utf8')).not.toContain('google.firestore.v1.Firestore');
  expect(readFileSync(path.join(DIST, 'webhook-line', 'index.js'), 'utf8')).toContain('google.firestore.v1.Firestore');
});

it('reports functions it skipped because their entry file does not exist yet', () => {
  for (const line of buildOutput.split('\n').filter((l) => l.includes('skipped'))) {
    const name = /skipped (\S+):/.exec(line)![1]!;
    expect(existsSync(path.join(ROOT, 'functions', name, 'index.ts'))).toBe(false);
  }
});

describe('the bundled webhook-whatsapp under the functions-framework CLI', () => {
  let child: ChildProcess;
  let baseUrl: string;
  let topic: Awaited<ReturnType<typeof createTopicWithSubscription>>;
  const SECRET = 'bundle-app-secret';

  beforeAll(async () => {
    topic = await createTopicWithSubscription('edge-build');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [FF_BIN, '--source', path.join(DIST, 'webhook-whatsapp'), '--target', 'webhookWhatsapp', '--port', String(port)], {
      env: { ...process.env, RAW_TOPIC: topic.topic, META_APP_SECRET: SECRET, META_VERIFY_TOKEN: 'bundle-vt', LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await request(baseUrl, { path: '/healthz-probe' });
        break;
      } catch (err) {
        if (Date.now() > deadline || child.exitCode !== null) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }, 30_000);

  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('answers the handshake', async () => {
    const res = await request(baseUrl, { path: '/?hub.mode=subscribe&hub.verify_token=bundle-vt&hub.challenge=31337' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('31337');
    expect(await topic.pull(1)).toHaveLength(1);
  });

  it('answers a signed POST 200 after publishing it', async () => {
    const signed = signedRequest('whatsapp', '{"object":"whatsapp_business_account","entry":[]}', SECRET);
    const res = await request(baseUrl, { method: 'POST', ...signed });
    expect(res.status).toBe(200);
    const messages = await topic.pull(1);
    expect(messages).toHaveLength(1);
    expect(messages[0]!.data.equals(signed.body)).toBe(true);
  });

  it('answers malformed JSON with our JSON 400: the body guard finds the framework\'s Express from the bundle', async () => {
    const res = await request(baseUrl, { method: 'POST', ...signedRequest('whatsapp', '{"object":', SECRET) });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ error: 'malformed_json', message: expect.any(String) });
  });
});
