/**
 * Who may call which route of the JSON APIs (shared/runtime/caller-auth.ts),
 * and the settings of caller and push authentication: on unless set to off,
 * and on without its settings is a startup error, never an open door.
 */
import {
  authorizeFromEnv,
  callerAuthConfig,
  createAuthorize,
  parseCallers,
  routeAccess,
  type Authorize,
} from '../../shared/runtime/caller-auth';
import { ConfigError } from '../../shared/runtime/env';
import { createPushCheck, pushAuthConfig } from '../../shared/runtime/push-auth';
import { startFakeGoogle, type FakeGoogle } from '../helpers/fake-google-oidc';

const AUDIENCE = 'https://europe-west1-proj.cloudfunctions.net/cv-events-api';
const DASHBOARD = 'dashboard@proj.iam.gserviceaccount.com';
const SUPPORT = 'support@example.com';

let google: FakeGoogle;
let authorize: Authorize;
beforeAll(async () => {
  google = await startFakeGoogle({ email: DASHBOARD, audience: AUDIENCE });
  authorize = createAuthorize(
    callerAuthConfig({
      API_AUDIENCE: AUDIENCE,
      API_CALLERS: JSON.stringify({ [DASHBOARD]: ['*'], 'Support@Example.com': ['ws_a', 'ws_c'] }),
      GOOGLE_JWKS_URL: google.jwksUrl,
    }),
  );
});
afterAll(() => google.close());

const as = async (email: string) => ({ authorization: `Bearer ${await google.token({ email })}` });
const workspaceRoute = { pattern: '/workspaces/:ws/events' };
const operatorRoute = { pattern: '/unrouted' };

describe('authorize', () => {
  it('lets a caller limited to workspaces act for those, and only those', async () => {
    await expect(authorize({ headers: await as(SUPPORT) }, workspaceRoute, { ws: 'ws_a' })).resolves.toEqual({ ok: true, caller: SUPPORT });
    await expect(authorize({ headers: await as(SUPPORT) }, workspaceRoute, { ws: 'ws_b' })).resolves.toMatchObject({
      ok: false,
      status: 403,
      code: 'workspace_forbidden',
    });
  });

  it('keeps a limited caller off the operator routes', async () => {
    await expect(authorize({ headers: await as(SUPPORT) }, operatorRoute, {})).resolves.toMatchObject({
      ok: false,
      status: 403,
      code: 'operator_only',
    });
  });

  it('lets a `*` caller act for any workspace and the operator routes', async () => {
    await expect(authorize({ headers: await as(DASHBOARD) }, workspaceRoute, { ws: 'ws_z' })).resolves.toMatchObject({ ok: true });
    await expect(authorize({ headers: await as(DASHBOARD) }, operatorRoute, {})).resolves.toMatchObject({ ok: true });
  });

  it('refuses a verified identity that is not in the list (403) and a missing or invalid token (401)', async () => {
    await expect(authorize({ headers: await as('someone@example.com') }, workspaceRoute, { ws: 'ws_a' })).resolves.toMatchObject({
      status: 403,
      code: 'caller_not_allowed',
    });
    await expect(authorize({ headers: {} }, workspaceRoute, { ws: 'ws_a' })).resolves.toMatchObject({
      status: 401,
      code: 'unauthenticated',
    });
    const otherAudience = await google.token({ aud: 'https://europe-west1-proj.cloudfunctions.net/cv-blocks-api' });
    await expect(authorize({ headers: { authorization: `Bearer ${otherAudience}` } }, operatorRoute, {})).resolves.toMatchObject({
      status: 401,
      code: 'unauthenticated',
    });
  });

  it('asks nothing of a public route', async () => {
    await expect(authorize({ headers: {} }, { pattern: '/problems/:code', access: 'public' }, { code: 'x' })).resolves.toEqual({
      ok: true,
    });
  });

  it("takes a push route's token from our push service account only, not from an API caller", async () => {
    const PUSHER = 'cv-push-invoker@proj.iam.gserviceaccount.com';
    const withPush = createAuthorize(
      callerAuthConfig({ API_AUDIENCE: AUDIENCE, API_CALLERS: JSON.stringify({ [DASHBOARD]: ['*'] }), GOOGLE_JWKS_URL: google.jwksUrl }),
      {
        pushCheck: createPushCheck(
          pushAuthConfig({ PUSH_AUDIENCE: AUDIENCE, PUSH_SERVICE_ACCOUNT: PUSHER, GOOGLE_JWKS_URL: google.jwksUrl }),
        ),
      },
    );
    const pushRoute = { pattern: '/projects/:project/topics/:topic', access: 'push' as const };
    await expect(withPush({ headers: await as(PUSHER) }, pushRoute, {})).resolves.toEqual({ ok: true });
    await expect(withPush({ headers: await as(DASHBOARD) }, pushRoute, {})).resolves.toMatchObject({
      status: 403,
      code: 'wrong_push_identity',
    });
    await expect(withPush({ headers: {} }, pushRoute, {})).resolves.toMatchObject({ status: 401, code: 'unauthenticated' });
    // ...and the push service account is no API caller.
    await expect(withPush({ headers: await as(PUSHER) }, workspaceRoute, { ws: 'ws_a' })).resolves.toMatchObject({ status: 403 });
  });

  it('reads the push settings at start-up for an API that takes pushes', () => {
    const env = { API_AUDIENCE: AUDIENCE, API_CALLERS: '{}' };
    expect(() => authorizeFromEnv(env, { pushRoutes: true })).toThrow(/PUSH_SERVICE_ACCOUNT is required/);
    expect(() => authorizeFromEnv(env)).not.toThrow();
  });

  it('lets every caller route through when API_AUTH is off', async () => {
    const open = createAuthorize(callerAuthConfig({ API_AUTH: 'off' }));
    await expect(open({ headers: {} }, operatorRoute, {})).resolves.toEqual({ ok: true });
    await expect(open({ headers: {} }, workspaceRoute, { ws: 'ws_a' })).resolves.toEqual({ ok: true });
  });

  it('still checks a push route when API_AUTH is off and PUSH_AUTH is on, with the push settings of the env given', async () => {
    const PUSHER = 'cv-push-invoker@proj.iam.gserviceaccount.com';
    const pushRoute = { pattern: '/projects/:project/topics/:topic', access: 'push' as const };
    const env = { API_AUTH: 'off', PUSH_AUDIENCE: AUDIENCE, PUSH_SERVICE_ACCOUNT: PUSHER, GOOGLE_JWKS_URL: google.jwksUrl };
    const open = authorizeFromEnv(env, { pushRoutes: true });
    await expect(open({ headers: {} }, pushRoute, {})).resolves.toMatchObject({ ok: false, status: 401, code: 'unauthenticated' });
    await expect(open({ headers: await as(DASHBOARD) }, pushRoute, {})).resolves.toMatchObject({
      status: 403,
      code: 'wrong_push_identity',
    });
    await expect(open({ headers: await as(PUSHER) }, pushRoute, {})).resolves.toEqual({ ok: true });
    await expect(open({ headers: {} }, operatorRoute, {})).resolves.toEqual({ ok: true });
    // The env given, not process.env (where the tests set PUSH_AUTH=off), is what is read.
    expect(() => authorizeFromEnv({ API_AUTH: 'off' }, { pushRoutes: true })).toThrow(/PUSH_SERVICE_ACCOUNT is required/);
    expect(() => authorizeFromEnv({ API_AUTH: 'off', PUSH_AUTH: 'off' }, { pushRoutes: true })).not.toThrow();
  });

  it('refuses a push route of an API built without a push check', async () => {
    const pushRoute = { pattern: '/projects/:project/topics/:topic', access: 'push' as const };
    await expect(createAuthorize(callerAuthConfig({ API_AUTH: 'off' }))({ headers: {} }, pushRoute, {})).resolves.toMatchObject({
      ok: false,
      status: 403,
    });
  });
});

describe('routeAccess', () => {
  it.each([
    [{ pattern: '/workspaces/:ws/blocks/:id' }, 'workspace'],
    [{ pattern: '/checks' }, 'operator'],
    [{ pattern: '/unrouted/:id/replay' }, 'operator'],
    [{ pattern: '/openapi.json', access: 'public' as const }, 'public'],
  ])('%j is %s', (route, access) => {
    expect(routeAccess(route)).toBe(access);
  });
});

describe('settings', () => {
  const configError = (fn: () => unknown, variable: string) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(variable);
      return;
    }
    throw new Error(`expected a ConfigError naming ${variable}`);
  };

  it('turn caller authentication on by default, and refuse to start without its settings', () => {
    configError(() => callerAuthConfig({}), 'API_CALLERS');
    configError(() => callerAuthConfig({ API_CALLERS: '{}' }), 'API_AUDIENCE');
    configError(() => callerAuthConfig({ API_AUTH: 'no', API_AUDIENCE: AUDIENCE, API_CALLERS: '{}' }), 'API_AUTH');
    expect(callerAuthConfig({ API_AUDIENCE: AUDIENCE, API_CALLERS: '{}' })).toMatchObject({ enabled: true, trustGoogleFrontEnd: false });
  });

  it('turn push authentication on by default, and refuse to start without its settings', () => {
    configError(() => pushAuthConfig({}), 'PUSH_SERVICE_ACCOUNT');
    configError(() => pushAuthConfig({ PUSH_SERVICE_ACCOUNT: 'p@proj.iam.gserviceaccount.com' }), 'PUSH_AUDIENCE');
    configError(() => pushAuthConfig({ PUSH_AUTH: 'false' }), 'PUSH_AUTH');
    configError(
      () => pushAuthConfig({ PUSH_SERVICE_ACCOUNT: 'p@x.com', PUSH_AUDIENCE: AUDIENCE, BEHIND_CLOUD_RUN_IAM: 'yes' }),
      'BEHIND_CLOUD_RUN_IAM',
    );
    expect(pushAuthConfig({ PUSH_AUTH: 'off' })).toEqual({ enabled: false });
    expect(
      pushAuthConfig({
        PUSH_SERVICE_ACCOUNT: 'P@proj.iam.gserviceaccount.com',
        PUSH_AUDIENCE: `${AUDIENCE}, https://x.run.app`,
        BEHIND_CLOUD_RUN_IAM: 'true',
      }),
    ).toEqual({
      enabled: true,
      serviceAccount: 'p@proj.iam.gserviceaccount.com',
      audiences: [AUDIENCE, 'https://x.run.app'],
      trustGoogleFrontEnd: true,
      jwksUrl: 'https://www.googleapis.com/oauth2/v3/certs',
    });
  });

  it.each([
    ['not JSON', '{dashboard'],
    ['a list', '["a@b.c"]'],
    ['a caller that is not an email', '{"dashboard":["*"]}'],
    ['an empty workspace list', '{"a@b.c":[]}'],
    ['a workspace that is not a string', '{"a@b.c":[7]}'],
  ])('refuse API_CALLERS that is %s', (_case, raw) => {
    expect(() => parseCallers(raw)).toThrow(ConfigError);
  });

  it('read API_CALLERS with emails in any case and `*` winning over a list', () => {
    const callers = parseCallers('{"Ops@Example.com":["ws_a","*"],"s@x.com":["ws_a"]}');
    expect(callers.get('ops@example.com')).toBe('*');
    expect([...(callers.get('s@x.com') as Set<string>)]).toEqual(['ws_a']);
  });
});
