/**
 * Connecting Meta accounts (Messenger Pages, Instagram accounts, WhatsApp
 * phone numbers): the Graph API client and the steps the three connectors
 * share (shared/platform-kit/connect.ts).
 * https://developers.facebook.com/docs/graph-api/webhooks/subscriptions-edge
 *
 * Meta webhooks are app-level: one subscription per object (`page`,
 * `instagram`, `whatsapp_business_account`) names our callback URL, its verify
 * token and the fields; Meta signs every delivery with the app secret. Each
 * account then opts in to the app with `POST /{page-id|waba-id}/subscribed_apps`.
 * So connect:
 *
 *   identify   the account's own node with the account's token
 *   register   GET /{app-id}/subscriptions; when the object is not delivered to
 *              our callback with every field we map, POST /{app-id}/subscriptions
 *              (app access token `{app-id}|{app-secret}`): Meta performs the
 *              GET hub.challenge handshake against our edge during that call
 *              and refuses the subscription unless it is echoed; then
 *              POST /{account}/subscribed_apps
 *   confirm    the app subscription is active at our callback, and
 *              GET /{account}/subscribed_apps lists our app (with our fields)
 *   unregister DELETE /{account}/subscribed_apps; the app-level subscription
 *              stays (other Blocks use it)
 *   check      the same two reads as confirm, fields missing named
 *
 * Meta has no per-Block webhook secret (the app secret signs), so no rotate:
 * docs/operations.md rotates the app secret.
 *
 * Tokens travel in the Authorization header, never in a URL, and no error
 * text names one: Graph's error messages do not echo tokens.
 *
 * The app's id, secret and verify token come from META_APP_ID, META_APP_SECRET
 * and META_VERIFY_TOKEN (the first of a comma-separated list: the current one),
 * read per call.
 */
import type { ConnectContext, ConnectFailure, Connector, WebhookStatus } from '../../platform-kit/connect';
import { ConnectError, fetchPlatform } from '../../platform-kit/connect';

export interface MetaApp {
  appId: string;
  appSecret: string;
  verifyToken: string;
}

/** The first of a comma-separated list (the edge reads the whole list; the current value is first). */
function first(raw: string | undefined): string | undefined {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .find((s) => s.length > 0);
}

/** The Meta app from META_APP_ID, META_APP_SECRET, META_VERIFY_TOKEN; platform_error naming the missing variables. */
function metaApp(env: NodeJS.ProcessEnv = process.env): MetaApp {
  const appId = first(env.META_APP_ID);
  const appSecret = first(env.META_APP_SECRET);
  const verifyToken = first(env.META_VERIFY_TOKEN);
  if (!appId || !appSecret || !verifyToken) {
    const missing = [!appId && 'META_APP_ID', !appSecret && 'META_APP_SECRET', !verifyToken && 'META_VERIFY_TOKEN'].filter(Boolean);
    throw new ConnectError('platform_error', `the blocks API has no Meta app configured (${missing.join(', ')} not set)`);
  }
  return { appId, appSecret, verifyToken };
}

/** Graph's error object: {"error":{"message","type","code","error_subcode","fbtrace_id"}}. */
export interface GraphErrorBody {
  message: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  fbtrace_id?: string;
}

export class GraphApiError extends Error {
  override readonly name = 'GraphApiError';
  constructor(
    readonly status: number,
    readonly error: GraphErrorBody,
  ) {
    super(error.message);
  }
}

/**
 * Graph's refusal as a ConnectError. Token errors (190 and its subcodes, 102,
 * 463/467) and permission errors (10, 200-299) are the credentials'; unknown
 * objects (100 subcode 33: "does not exist, cannot be loaded due to missing
 * permissions") too, since the token cannot see the account; rate limits (4,
 * 17, 32, 613), transient (1, 2) and 5xx are Meta's; the rest `onRefusal`.
 */
export function graphConnectError(err: GraphApiError, onRefusal: ConnectFailure): ConnectError {
  const code = err.error.code ?? 0;
  const credentials = code === 190 || code === 102 || code === 10 || (code >= 200 && code <= 299) || code === 463 || code === 467;
  const missing = code === 100 && err.error.error_subcode === 33;
  const transient = [1, 2, 4, 17, 32, 613].includes(code) || err.status >= 500;
  const reason: ConnectFailure = credentials || missing ? 'bad_credentials' : transient ? 'platform_error' : onRefusal;
  return new ConnectError(reason, err.error.message, String(code || err.status));
}

type Params = Record<string, string | number | boolean | readonly string[]>;

function encode(params: Params): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) out.set(k, Array.isArray(v) ? v.join(',') : String(v));
  return out;
}

/**
 * One Graph call: GET/DELETE parameters in the query, POST parameters as a
 * form body, the token as a Bearer header. Throws GraphApiError on Graph's
 * error object and ConnectError platform_error when Meta cannot be reached.
 */
export async function callGraph<T>(
  ctx: Pick<ConnectContext, 'apiBase' | 'fetch'>,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  token: string,
  params: Params = {},
): Promise<T> {
  const query = method === 'POST' ? '' : encode(params).toString();
  const url = `${ctx.apiBase.replace(/\/+$/, '')}/${path}${query ? `?${query}` : ''}`;
  const what = `Graph API ${method} /${path.replace(/^[^/]+/, '{id}')}`;
  const res = await fetchPlatform(ctx, what, url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(method === 'POST' ? { body: encode(params).toString() } : {}),
  });
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ConnectError('platform_error', `${what} answered ${res.status} without a JSON body`, String(res.status));
  }
  const error = (body as { error?: GraphErrorBody } | null)?.error;
  if (error && typeof error === 'object') {
    throw new GraphApiError(res.status, { ...error, message: typeof error.message === 'string' ? error.message : `HTTP ${res.status}` });
  }
  if (!res.ok) throw new GraphApiError(res.status, { message: `HTTP ${res.status}` });
  return body as T;
}

/** callGraph with Graph's refusals as ConnectErrors. */
export async function graph<T>(
  ctx: ConnectContext,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  token: string,
  params: Params = {},
  onRefusal: ConnectFailure = 'platform_error',
): Promise<T> {
  try {
    return await callGraph<T>(ctx, method, path, token, params);
  } catch (err) {
    throw err instanceof GraphApiError ? graphConnectError(err, onRefusal) : err;
  }
}

/** The app access token: `{app-id}|{app-secret}`. */
export function appToken(app: MetaApp): string {
  return `${app.appId}|${app.appSecret}`;
}

export type MetaObject = 'page' | 'instagram' | 'whatsapp_business_account';

export interface AppSubscription {
  object: string;
  callback_url: string;
  active: boolean;
  fields: Array<{ name: string; version?: string }>;
}

async function appSubscription(ctx: ConnectContext, app: MetaApp, object: MetaObject): Promise<AppSubscription | undefined> {
  const answer = await graph<{ data?: AppSubscription[] }>(ctx, 'GET', `${app.appId}/subscriptions`, appToken(app));
  return (answer.data ?? []).find((s) => s.object === object);
}

/** The fields of `fields` the subscription lacks (all of them when it is not active at our callback). */
export function missingAppFields(ctx: ConnectContext, sub: AppSubscription | undefined, fields: readonly string[]): string[] {
  if (!sub || !sub.active || sub.callback_url !== ctx.webhookUrl) return [...fields];
  const have = new Set(sub.fields.map((f) => f.name));
  return fields.filter((f) => !have.has(f));
}

/**
 * The app's subscription to `object` at our callback with `fields` (and any
 * fields it already had): nothing when it is already so, else POST, during
 * which Meta verifies our callback with the verify token (not_accepted when
 * our edge does not echo the challenge: Graph's 2200).
 */
async function ensureAppSubscription(ctx: ConnectContext, app: MetaApp, object: MetaObject, fields: readonly string[]): Promise<boolean> {
  const sub = await appSubscription(ctx, app, object);
  if (missingAppFields(ctx, sub, fields).length === 0) return false;
  const kept = sub && sub.callback_url === ctx.webhookUrl ? sub.fields.map((f) => f.name) : [];
  await graph(
    ctx,
    'POST',
    `${app.appId}/subscriptions`,
    appToken(app),
    { object, callback_url: ctx.webhookUrl, verify_token: app.verifyToken, fields: [...new Set([...kept, ...fields])] },
    'not_accepted',
  );
  ctx.log.info('Meta app subscription set; Meta verified our callback', { object, fields: fields.length });
  return true;
}

/** An entry of GET /{page-id}/subscribed_apps (WhatsApp's names the app under whatsapp_business_api_data). */
interface SubscribedApp {
  id?: string;
  name?: string;
  subscribed_fields?: string[];
  whatsapp_business_api_data?: { id: string; name?: string; link?: string };
}

function ourApp(app: MetaApp, apps: SubscribedApp[]): SubscribedApp | undefined {
  return apps.find((a) => (a.id ?? a.whatsapp_business_api_data?.id) === app.appId);
}

/**
 * The webhook status from the app subscription and the account's subscribed
 * apps: ok when both deliver to us with every field (`accountFields`
 * undefined: the account subscription has no fields, as WhatsApp's).
 */
function metaWebhookStatus(
  ctx: ConnectContext,
  sub: AppSubscription | undefined,
  appFields: readonly string[],
  subscribed: SubscribedApp | undefined,
  accountFields: readonly string[] | undefined,
): WebhookStatus & { missing: string[] } {
  const missing: string[] = [];
  if (!sub || !sub.active || sub.callback_url !== ctx.webhookUrl) missing.push('app subscription');
  else missing.push(...missingAppFields(ctx, sub, appFields).map((f) => `app field ${f}`));
  if (!subscribed) missing.push('account subscription');
  else if (accountFields) {
    const have = new Set(subscribed.subscribed_fields ?? []);
    missing.push(...accountFields.filter((f) => !have.has(f)).map((f) => `account field ${f}`));
  }
  const registered = !!sub?.active && sub.callback_url === ctx.webhookUrl && !!subscribed;
  return {
    registered,
    ...(sub?.callback_url ? { url: sub.callback_url } : {}),
    ...(missing.length ? { lastError: { message: `Meta does not deliver everything to us: missing ${missing.join(', ')}` } } : {}),
    ok: missing.length === 0,
    missing,
  };
}

/** Where a Meta account opts in: the Graph node whose `subscribed_apps` edge it is (a Page, a WABA), and the fields each side must carry. */
interface MetaSubscriptionSpec<C extends { access_token: string }> {
  object: MetaObject;
  node(creds: C): string;
  appFields: readonly string[];
  /** The fields the node subscription names; undefined when it takes none (WhatsApp's). */
  nodeFields: readonly string[] | undefined;
}

/**
 * The steps every Meta connector shares, whichever node opts in: the app
 * subscription, then the node's `subscribed_apps`; its status from both.
 */
export function metaSubscription<C extends { access_token: string }>(
  spec: MetaSubscriptionSpec<C>,
): Pick<Connector<C>, 'register' | 'confirm' | 'unregister' | 'check'> {
  const edge = (creds: C) => `${spec.node(creds)}/subscribed_apps`;
  const status = async (ctx: ConnectContext, creds: C) => {
    const app = metaApp();
    const apps = (await graph<{ data?: SubscribedApp[] }>(ctx, 'GET', edge(creds), creds.access_token)).data ?? [];
    const sub = await appSubscription(ctx, app, spec.object);
    return metaWebhookStatus(ctx, sub, spec.appFields, ourApp(app, apps), spec.nodeFields);
  };
  return {
    async register(ctx, creds) {
      await ensureAppSubscription(ctx, metaApp(), spec.object, spec.appFields);
      const params: Params = spec.nodeFields ? { subscribed_fields: spec.nodeFields } : {};
      await graph(ctx, 'POST', edge(creds), creds.access_token, params, 'not_accepted');
    },
    async confirm(ctx, creds) {
      const s = await status(ctx, creds);
      if (!s.ok) throw new ConnectError('not_accepted', s.lastError?.message ?? 'Meta does not deliver to us');
    },
    async unregister(ctx, creds) {
      await graph(ctx, 'DELETE', edge(creds), creds.access_token);
    },
    async check(ctx, creds) {
      const { missing: _missing, ...webhook } = await status(ctx, creds);
      return webhook;
    },
  };
}

/** Shape checks for credentials: Graph ids are digits; tokens are opaque, printable, and not tiny. */
export const GRAPH_ID = /^[0-9]{1,30}$/;
export const ACCESS_TOKEN = /^[\x21-\x7e]{20,1000}$/;

export function requireId(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== 'string' || !GRAPH_ID.test(value))
    throw new ConnectError('bad_credentials', `credentials.${key} must be a Graph API id (digits)`);
  return value;
}

export function requireToken(input: Record<string, unknown>, key = 'access_token'): string {
  const value = input[key];
  if (typeof value !== 'string' || !ACCESS_TOKEN.test(value))
    throw new ConnectError('bad_credentials', `credentials.${key} must be a Meta access token`);
  return value;
}

export function credentialsObject(input: unknown): Record<string, unknown> {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw new ConnectError('bad_credentials', 'credentials must be an object');
  return input as Record<string, unknown>;
}
