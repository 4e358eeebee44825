/**
 * The events API and the blocks API with caller authentication ON, on the
 * emulators: a caller limited to workspace A asking for B gets 403 and nothing
 * is written or published; a limited caller is kept off the operator routes; a
 * missing or wrong token gets 401; a `*` caller and the public problem types
 * pass. Tokens are signed by a local key that a local fake of Google's JWKS
 * publishes.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { Server } from 'node:http';
import { createBlocksApi } from '../../shared/blocks/app';
import { blockStores } from '../../shared/contracts/blocks';
import { createEnvelopePublisher } from '../../shared/envelope/publish';
import { createEventsApi } from '../../shared/events-api/app';
import { createAuthorize, callerAuthConfig, type Authorize } from '../../shared/runtime/caller-auth';
import { getFirestore } from '../../shared/runtime/gcp';
import { createPushCheck, pushAuthConfig } from '../../shared/runtime/push-auth';
import { toPushBody } from '../../shared/contracts/pubsub-push';
import { startFakeGoogle, type FakeGoogle } from '../helpers/fake-google-oidc';
import { listen } from '../helpers/http-client';
import { uniqueName } from '../helpers/names';
import { createTopic } from '../event-log/support';

const AUDIENCE = 'https://europe-west1-proj.cloudfunctions.net/cv-api';
const OPERATOR = 'dashboard@proj.iam.gserviceaccount.com';
const PUSHER = 'cv-push-invoker@proj.iam.gserviceaccount.com';
const SUPPORT = 'support@example.com';
const WS_A = uniqueName('ws_a');
const WS_B = uniqueName('ws_b');
const EVENTS = uniqueName('auth-api-events').replace(/_/g, '-');

let google: FakeGoogle;
let authorize: Authorize | undefined;
/** Reads the settings once the fake JWKS is up; the APIs are registered before that, as the framework needs. */
const lateAuthorize: Authorize = (req, route, params) => {
  authorize ??= createAuthorize(
    callerAuthConfig({
      API_AUDIENCE: AUDIENCE,
      API_CALLERS: JSON.stringify({ [OPERATOR]: ['*'], [SUPPORT]: [WS_A] }),
      GOOGLE_JWKS_URL: google.jwksUrl,
    }),
    // The replay-jobs push route: what Terraform sets on events-api, a push target too.
    {
      pushCheck: createPushCheck(
        pushAuthConfig({ PUSH_AUDIENCE: AUDIENCE, PUSH_SERVICE_ACCOUNT: PUSHER, GOOGLE_JWKS_URL: google.jwksUrl }),
      ),
    },
  );
  return authorize(req, route, params);
};

const published: string[] = [];
const platformCalls: string[] = [];
const events = createEnvelopePublisher(EVENTS);
http(
  'authEventsApi',
  createEventsApi({ authorize: lateAuthorize, publisher: () => ({ publish: (e) => (published.push(e.id), events.publish(e)) }) }),
);
http(
  'authBlocksApi',
  createBlocksApi({
    authorize: lateAuthorize,
    fetch: async (input) => {
      platformCalls.push(String(input));
      throw new Error('no platform call is expected in these tests');
    },
  }),
);

const urls: Record<string, string> = {};
const closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  google = await startFakeGoogle({ email: SUPPORT, audience: AUDIENCE });
  await createTopic(EVENTS);
  for (const name of ['authEventsApi', 'authBlocksApi']) {
    const running = await listen(getTestServer(name) as Server);
    closers.push(running.close);
    urls[name] = running.baseUrl;
  }
});
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await google?.close();
});

const as = async (email: string) => ({ authorization: `Bearer ${await google.token({ email })}` });

async function call(api: 'authEventsApi' | 'authBlocksApi', method: string, path: string, headers: Record<string, string>, body?: object) {
  const res = await fetch(`${urls[api]}${path}`, {
    method,
    headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    wwwAuthenticate: res.headers.get('www-authenticate'),
    json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

const internalEvent = { type: 'crm.deal.stage_changed', data: { deal: { id: 'd1', stage: 'won' }, previous_stage: 'lead' } };

describe('the events API', () => {
  it("refuses a caller of workspace A acting for B (403), and publishes nothing into B's log", async () => {
    const res = await call('authEventsApi', 'POST', `/workspaces/${WS_B}/events`, await as(SUPPORT), internalEvent);
    expect(res.status).toBe(403);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({ code: 'workspace_forbidden', status: 403, type: '/problems/workspace_forbidden' });
    const replay = await call('authEventsApi', 'POST', `/workspaces/${WS_B}/replays`, await as(SUPPORT), { confirm_all: true });
    expect(replay.status).toBe(403);
    expect((await call('authEventsApi', 'GET', `/workspaces/${WS_B}/events`, await as(SUPPORT))).status).toBe(403);
    expect(published).toEqual([]);
    expect((await getFirestore().collection('workspaces').doc(WS_B).listCollections()).length).toBe(0);
  });

  it('lets that caller act for A', async () => {
    expect((await call('authEventsApi', 'GET', `/workspaces/${WS_A}/events`, await as(SUPPORT))).status).toBe(200);
    const res = await call('authEventsApi', 'POST', `/workspaces/${WS_A}/events`, await as(SUPPORT), internalEvent);
    expect(res.status).toBe(202);
    expect(published).toHaveLength(1);
  });

  it('keeps a limited caller off the operator routes, and lets a `*` caller in', async () => {
    expect((await call('authEventsApi', 'GET', '/unrouted', await as(SUPPORT))).json).toMatchObject({ status: 403, code: 'operator_only' });
    expect((await call('authEventsApi', 'GET', '/unrouted', await as(OPERATOR))).status).toBe(200);
    expect((await call('authEventsApi', 'GET', `/workspaces/${WS_B}/events`, await as(OPERATOR))).status).toBe(200);
  });

  it.each<[string, () => Promise<Record<string, string>>, number, string]>([
    ['no token', async () => ({}), 401, 'unauthenticated'],
    [
      'a token with a bad signature',
      async () => ({ authorization: `Bearer ${await google.token({}, { key: 'unpublished' })}` }),
      401,
      'unauthenticated',
    ],
    [
      'a token for another audience',
      async () => ({ authorization: `Bearer ${await google.token({ aud: 'https://elsewhere.example' })}` }),
      401,
      'unauthenticated',
    ],
    [
      'an expired token',
      async () => ({ authorization: `Bearer ${await google.token({ exp: 1_700_000_000, iat: 1_699_990_000 })}` }),
      401,
      'unauthenticated',
    ],
    ['an identity not in API_CALLERS', async () => as('stranger@example.com'), 403, 'caller_not_allowed'],
  ])('refuses %s', async (_case, headers, status, code) => {
    const res = await call('authEventsApi', 'POST', `/workspaces/${WS_A}/events`, await headers(), internalEvent);
    expect(res).toMatchObject({ status, json: { code, status } });
    if (status === 401) expect(res.wwwAuthenticate).toBe('Bearer');
    expect(published).toHaveLength(1);
  });

  it("takes its replay-jobs push only from our push service account: a forged job message for B's job is refused", async () => {
    const job = toPushBody({ data: JSON.stringify({ workspace_id: WS_B, job_id: 'job_forged' }) }, 'events-api-replay-jobs');
    const path = `/projects/${process.env.GOOGLE_CLOUD_PROJECT}/topics/replay-jobs`;
    expect(await call('authEventsApi', 'POST', path, {}, job)).toMatchObject({ status: 401, json: { code: 'unauthenticated' } });
    expect(await call('authEventsApi', 'POST', path, await as(OPERATOR), job)).toMatchObject({
      status: 403,
      json: { code: 'wrong_push_identity' },
    });
    // The push identity passes the check (the job does not exist, so the route acks it and does nothing).
    expect((await call('authEventsApi', 'POST', path, await as(PUSHER), job)).status).toBe(204);
  });

  it('describes its problem types to anyone (they hold no data)', async () => {
    expect(await call('authEventsApi', 'GET', '/problems/workspace_forbidden', {})).toMatchObject({ status: 200 });
  });
});

describe('the blocks API', () => {
  it('refuses a caller of workspace A connecting a Block in B (403): no platform call, nothing stored', async () => {
    const res = await call('authBlocksApi', 'POST', `/workspaces/${WS_B}/blocks`, await as(SUPPORT), {
      platform: 'telegram',
      credentials: { bot_token: '123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    });
    expect(res).toMatchObject({ status: 403, json: { code: 'workspace_forbidden' } });
    for (const path of ['disconnect', 'rotate', 'check'])
      expect((await call('authBlocksApi', 'POST', `/workspaces/${WS_B}/blocks/blk_x/${path}`, await as(SUPPORT), {})).status).toBe(403);
    expect(platformCalls).toEqual([]);
    expect((await blockStores().registry.collection('blocks').where('workspace_id', '==', WS_B).get()).size).toBe(0);
  });

  it('lets that caller list the Blocks of A, and keeps it off the scheduled check of every Block', async () => {
    expect(await call('authBlocksApi', 'GET', `/workspaces/${WS_A}/blocks`, await as(SUPPORT))).toMatchObject({
      status: 200,
      json: { blocks: [] },
    });
    expect(await call('authBlocksApi', 'POST', '/checks', await as(SUPPORT), {})).toMatchObject({
      status: 403,
      json: { code: 'operator_only' },
    });
    expect(await call('authBlocksApi', 'GET', `/workspaces/${WS_A}/blocks`, {})).toMatchObject({
      status: 401,
      json: { code: 'unauthenticated' },
    });
    expect(platformCalls).toEqual([]);
  });
});
