/**
 * Who may call the private JSON APIs (events API, blocks API), and for which
 * workspaces. The caller sends a Google ID token minted for this function's
 * audience; its verified email must be in API_CALLERS, which maps each caller
 * to the workspaces it may act for (`*`: all, and the operator routes):
 *
 *   API_CALLERS='{"dashboard@p.iam.gserviceaccount.com":["*"],"support@x.com":["ws_a"]}'
 *
 * Every route is one of:
 *   workspace  `/workspaces/:ws/...`: the caller's list holds ws, or `*`
 *   operator   no workspace in the path (`/unrouted`, `/checks`): `*` only
 *   push       a Pub/Sub push to an API function: the push service account (PUSH_AUTH settings, even
 *              with API_AUTH off)
 *   public     no data (the Event Log page shell, /openapi.json, /problems/*): no token needed
 * A route says `access` itself, or it is `workspace` when its pattern has `:ws`, else `operator`.
 *
 *   API_AUTH      on (default) | off (the local stack)
 *   API_AUDIENCE  this function's URL, the audience callers mint tokens for
 */
import { ConfigError, type Env } from './env';
import { authSwitch, behindCloudRunIam, failureStatus, jwksUrl, requiredList, sharedJwks } from './google-auth-env';
import { bearerToken, createIdTokenVerifier } from './google-id-token';
import { createJwks } from './jwks';
import { createPushCheck, pushAuthConfig, type PushCheck } from './push-auth';

export type RouteAccess = 'workspace' | 'operator' | 'push' | 'public';

/** What authorization needs of a route (the JSON APIs' Route has these fields). */
export interface AccessRoute {
  pattern: string;
  access?: RouteAccess;
}

export function routeAccess(route: AccessRoute): RouteAccess {
  return route.access ?? (route.pattern.split('/').includes(':ws') ? 'workspace' : 'operator');
}

/** A refusal the JSON API answers with its usual error body. */
export interface Refusal {
  ok: false;
  status: 401 | 403 | 503;
  code: 'unauthenticated' | 'caller_not_allowed' | 'workspace_forbidden' | 'operator_only' | 'auth_unavailable' | 'wrong_push_identity';
  message: string;
}
export type AuthDecision = { ok: true; caller?: string } | Refusal;

export type Authorize = (
  req: { headers: Record<string, string | string[] | undefined> },
  route: AccessRoute,
  params: Record<string, string>,
) => Promise<AuthDecision>;

/** Caller email (lower case) → `*` or the workspaces it may act for. */
export type Callers = ReadonlyMap<string, '*' | ReadonlySet<string>>;

export function parseCallers(raw: string | undefined): Callers {
  let value: unknown;
  try {
    value = JSON.parse(raw ?? '');
  } catch {
    throw new ConfigError('API_CALLERS', 'API_CALLERS must be a JSON object {"<email>": ["*"] | ["<workspace>", ...]}');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError('API_CALLERS', 'API_CALLERS must be a JSON object {"<email>": ["*"] | ["<workspace>", ...]}');
  const callers = new Map<string, '*' | ReadonlySet<string>>();
  for (const [email, list] of Object.entries(value as Record<string, unknown>)) {
    if (!email.includes('@')) throw new ConfigError('API_CALLERS', `API_CALLERS: ${JSON.stringify(email)} is not an email`);
    if (!Array.isArray(list) || list.length === 0 || !list.every((ws) => typeof ws === 'string' && ws !== ''))
      throw new ConfigError('API_CALLERS', `API_CALLERS: ${email} needs a non-empty list of workspace ids or ["*"]`);
    callers.set(email.toLowerCase(), list.includes('*') ? '*' : new Set(list as string[]));
  }
  return callers;
}

export type CallerAuthConfig =
  { enabled: false } | { enabled: true; audiences: string[]; callers: Callers; trustGoogleFrontEnd: boolean; jwksUrl: string };

export function callerAuthConfig(env: Env = process.env): CallerAuthConfig {
  if (!authSwitch('API_AUTH', env.API_AUTH)) return { enabled: false };
  const because = 'while API_AUTH is on (set API_AUTH=off only on the local stack)';
  if (!env.API_CALLERS?.trim()) throw new ConfigError('API_CALLERS', `API_CALLERS is required ${because}`);
  return {
    enabled: true,
    audiences: requiredList('API_AUDIENCE', env.API_AUDIENCE, because),
    callers: parseCallers(env.API_CALLERS),
    trustGoogleFrontEnd: behindCloudRunIam(env),
    jwksUrl: jwksUrl(env),
  };
}

const ALLOWED: AuthDecision = { ok: true };

export interface AuthorizeDeps {
  fetch?: typeof fetch;
  now?: () => number;
  /**
   * For `push` routes, governed by PUSH_AUTH whatever API_AUTH says (authorizeFromEnv builds it from the same
   * env). Without it a push route is refused: an API that takes no pushes never lets one in.
   */
  pushCheck?: PushCheck;
}

const NO_PUSHES: Refusal = { ok: false, status: 403, code: 'wrong_push_identity', message: 'this API takes no Pub/Sub pushes' };

export function createAuthorize(config: CallerAuthConfig, deps: AuthorizeDeps = {}): Authorize {
  const pushCheck = deps.pushCheck;
  // Push routes first: API_AUTH=off opens the caller routes only, never the push check.
  const checkPush = async (headers: Record<string, string | string[] | undefined>): Promise<AuthDecision> => {
    if (!pushCheck) return NO_PUSHES;
    const refusal = await pushCheck(headers);
    return refusal ? { ok: false, status: refusal.status, code: refusal.code, message: refusal.message } : ALLOWED;
  };
  if (!config.enabled) return async (req, route) => (routeAccess(route) === 'push' ? checkPush(req.headers) : ALLOWED);
  const jwks = deps.fetch || deps.now ? createJwks({ url: config.jwksUrl, ...deps }) : sharedJwks(config.jwksUrl);
  const verifier = createIdTokenVerifier(config, jwks, deps.now);

  return async (req, route, params) => {
    const access = routeAccess(route);
    if (access === 'public') return ALLOWED;
    if (access === 'push') return checkPush(req.headers);
    const identity = await verifier.verify(bearerToken(req.headers));
    if (!identity.ok) {
      const status = failureStatus(identity.reason);
      return { ok: false, status, code: status === 503 ? 'auth_unavailable' : 'unauthenticated', message: identity.message };
    }
    const allowed = config.callers.get(identity.email);
    if (!allowed)
      return { ok: false, status: 403, code: 'caller_not_allowed', message: `${identity.email} is not an allowed caller of this API` };
    if (allowed === '*') return { ok: true, caller: identity.email };
    if (access === 'operator')
      return {
        ok: false,
        status: 403,
        code: 'operator_only',
        message: `${route.pattern} is for operators (callers allowed every workspace)`,
      };
    const ws = params.ws ?? '';
    if (!allowed.has(ws))
      return { ok: false, status: 403, code: 'workspace_forbidden', message: `${identity.email} may not act for workspace ${ws}` };
    return { ok: true, caller: identity.email };
  };
}

/**
 * The authorization this environment configures; throws ConfigError when API_AUTH (or, for `pushRoutes`,
 * PUSH_AUTH) is on and a setting is missing. `pushRoutes`: the API also takes Pub/Sub pushes, so the push
 * settings are read now too, from the same env and whatever API_AUTH says, and a gap fails the cold start
 * rather than the first push.
 */
export function authorizeFromEnv(env: Env = process.env, options: { pushRoutes?: boolean } = {}): Authorize {
  const config = callerAuthConfig(env);
  return createAuthorize(config, options.pushRoutes ? { pushCheck: createPushCheck(pushAuthConfig(env)) } : {});
}
