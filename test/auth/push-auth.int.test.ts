/**
 * Push endpoints with authentication ON, on the emulators: each deployed push
 * function (functions/<name>/index.ts) refuses a push without a valid Google
 * OIDC token of our push service account before it looks at the body, so a
 * forged push writes and publishes nothing; a push with a valid token, signed
 * by a local key that a local fake of Google's JWKS publishes, is processed.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { Server } from 'node:http';
import type { Envelope } from '../../shared/envelope';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { eventLogRef } from '../../shared/event-log/outcomes';
import { createNormalizerHandler } from '../../shared/normalize/handler';
import { createRejectionPublisher } from '../../shared/normalize/publish-rejection';
import { staticRouter } from '../../shared/normalize/router';
import { rawAttributes } from '../../shared/contracts/raw-message';
import { toPushBody } from '../../shared/contracts/pubsub-push';
import { ConfigError } from '../../shared/runtime/env';
import { getFirestore } from '../../shared/runtime/gcp';
import { createPushCheck, pushAuthConfig, requirePushAuth } from '../../shared/runtime/push-auth';
import { topology } from '../../shared/contracts/topology';
import { whatsapp } from '../fixtures/normalize/whatsapp';
import { envelopeMessage, testEnvelopes } from '../helpers/envelopes';
import { startFakeGoogle, stripSignature, type FakeGoogle } from '../helpers/fake-google-oidc';
import { listen } from '../helpers/http-client';
import { uniqueName } from '../helpers/names';
import { createTopic } from '../event-log/support';

const PUSHER = 'cv-push-invoker@proj.iam.gserviceaccount.com';
const AUDIENCE = 'https://europe-west1-proj.cloudfunctions.net/cv-push-target';
const EVENTS = uniqueName('auth-events').replace(/_/g, '-');
const REJECTED = uniqueName('auth-rejected').replace(/_/g, '-');

let google: FakeGoogle;
const closers: Array<() => Promise<void>> = [];
const urls: Record<string, string> = {};

/** The push functions of topology.json and their entry points: every one must be behind the check. */
const pushFunctions = Object.entries(topology.functions)
  .filter(([, fn]) => fn.trigger === 'pubsub')
  .map(([name, fn]) => ({ name, entryPoint: fn.entry_point }));

async function serveEntryPoint(entryPoint: string): Promise<string> {
  const running = await listen(getTestServer(entryPoint) as Server);
  closers.push(running.close);
  return running.baseUrl;
}

beforeAll(async () => {
  google = await startFakeGoogle({ email: PUSHER, audience: AUDIENCE });
  await Promise.all([createTopic(EVENTS), createTopic(REJECTED)]);
  // What Terraform sets on a push function, pointing at the local JWKS.
  Object.assign(process.env, {
    PUSH_AUTH: 'on',
    PUSH_AUDIENCE: AUDIENCE,
    PUSH_SERVICE_ACCOUNT: PUSHER,
    GOOGLE_JWKS_URL: google.jwksUrl,
    EVENTS_TOPIC: EVENTS,
    REJECTED_TOPIC: REJECTED,
  });
  for (const { name } of pushFunctions) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(`../../functions/${name}`);
  }
  for (const { entryPoint } of pushFunctions) urls[entryPoint] = await serveEntryPoint(entryPoint);
});
afterAll(async () => {
  process.env.PUSH_AUTH = 'off';
  await Promise.all(closers.map((close) => close()));
  await google?.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function pushTo(url: string, body: object, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return {
    status: res.status,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    wwwAuthenticate: res.headers.get('www-authenticate'),
  };
}

/** One changed thing per case; each must be refused with this status. */
const wrongTokens: Array<[string, () => Promise<Record<string, string>>, number]> = [
  ['no token (a forged push)', async () => ({}), 401],
  ['a token that is not a JWT', async () => bearer('forged'), 401],
  ['a token with a bad signature', async () => bearer(await google.token({}, { key: 'unpublished' })), 401],
  [
    'an expired token',
    async () => bearer(await google.token({ exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 })),
    401,
  ],
  [
    'a token for another audience',
    async () => bearer(await google.token({ aud: 'https://europe-west1-proj.cloudfunctions.net/cv-other' })),
    401,
  ],
  ['a token whose signature was removed (no Cloud Run IAM in front here)', async () => bearer(stripSignature(await google.token())), 401],
  [
    'a token of another service account',
    async () => bearer(await google.token({ email: 'attacker@evil-proj.iam.gserviceaccount.com' })),
    403,
  ],
];

describe('every push function of topology.json', () => {
  it('is one of normalizer, contacts, triggers, event-log (and none is forgotten)', () => {
    expect(pushFunctions.map((f) => f.name).sort()).toEqual(expect.arrayContaining(['contacts', 'event-log', 'normalizer', 'triggers']));
  });

  describe.each(pushFunctions)('$name', ({ entryPoint }) => {
    const ws = uniqueName('ws_auth');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });

    it.each(wrongTokens)('refuses %s, and writes nothing', async (_case, headers, status) => {
      const envelope = b.message({ user: uniqueName('u'), text: 'hello', at: '2026-03-31T10:00:00.000Z' });
      const res = await pushTo(urls[entryPoint] as string, toPushBody(envelopeMessage(envelope), 'events-sub'), await headers());
      expect(res.status).toBe(status);
      expect(res.json).toMatchObject({ error: status === 401 ? 'unauthenticated' : 'wrong_push_identity' });
      if (status === 401) expect(res.wwwAuthenticate).toBe('Bearer');
      // Nothing reached the handler: no contact, no log entry, no outcome report for the event.
      const workspace = getFirestore().collection('workspaces').doc(ws);
      expect((await workspace.collection('contacts').get()).size).toBe(0);
      expect((await eventLogRef(getFirestore(), ws, envelope.id).get()).exists).toBe(false);
    });
  });
});

describe('the contacts push function with a valid token', () => {
  it('processes the push: the contact is written and the outcome reported', async () => {
    const ws = uniqueName('ws_auth_ok');
    const b = testEnvelopes({ workspaceId: ws, blockId: 'blk_ig', platform: 'instagram' });
    const envelope: Envelope = b.message({ user: 'u_ok', text: 'hello', at: '2026-03-31T10:00:00.000Z' });
    const res = await pushTo(urls.contacts as string, toPushBody(envelopeMessage(envelope), 'contacts'), bearer(await google.token()));
    expect(res.status).toBe(204);
    const contacts = await getFirestore().collection('workspaces').doc(ws).collection('contacts').get();
    expect(contacts.docs.map((d) => d.id)).toEqual([b.contactId('u_ok')]);
    expect((await eventLogRef(getFirestore(), ws, envelope.id).get()).get('consumers.contacts.status')).toBe('success');
  });
});

describe('the normalizer behind the check', () => {
  const route = { workspaceId: uniqueName('ws_victim'), blockId: 'blk_victim' };
  const published: string[] = [];
  let url: string;

  beforeAll(async () => {
    // The real publishers, counted: what the normalizer publishes still goes to the emulator.
    const events = createEnvelopePublisher(EVENTS);
    const rejections = createRejectionPublisher(REJECTED);
    const handler = createNormalizerHandler({
      router: () => staticRouter(route),
      events: { publish: (e) => (published.push(e.id), events.publish(e)) },
      rejections: { publish: (r) => (published.push(r.id), rejections.publish(r)) },
    });
    http('authNormalizer', requirePushAuth('normalizer', handler, { check: createPushCheck(pushAuthConfig()) }));
    url = await serveEntryPoint('authNormalizer');
  });

  const rawPush = () =>
    toPushBody(
      {
        data: JSON.stringify(whatsapp.text),
        attributes: rawAttributes({
          platform: 'whatsapp',
          kind: 'webhook',
          received_at: '2026-04-01T00:00:00.000Z',
          request_id: uniqueName('req'),
          content_type: 'application/json',
          // A forger names another tenant's Block and workspace.
          block_id: route.blockId,
          workspace_id: route.workspaceId,
        }),
      },
      'normalizer-raw',
    );

  it('publishes nothing for a forged push naming another tenant', async () => {
    for (const [, headers, status] of wrongTokens) expect((await pushTo(url, rawPush(), await headers())).status).toBe(status);
    expect(published).toEqual([]);
  });

  it('normalizes a push with a valid token', async () => {
    expect((await pushTo(url, rawPush(), bearer(await google.token()))).status).toBe(204);
    expect(published.length).toBeGreaterThan(0);
  });
});

describe('a push function with PUSH_AUTH on and its settings missing', () => {
  it('fails its cold start with a ConfigError naming the setting', () => {
    const saved = { ...process.env };
    try {
      delete process.env.PUSH_SERVICE_ACCOUNT;
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        expect(() => require('../../functions/contacts')).toThrow(/PUSH_SERVICE_ACCOUNT is required while PUSH_AUTH is on/);
      });
      expect(() => pushAuthConfig()).toThrow(ConfigError);
    } finally {
      process.env = saved;
    }
  });
});
