/**
 * Authenticates a Pub/Sub push in code (Google recommends it even behind IAM):
 * the push carries a Google ID token minted for our push service account with
 * the audience this function expects. Every push endpoint (the normalizer and
 * the envelope consumers) is wrapped in requirePushAuth in its functions/
 * entry point, so the check runs before the body is looked at.
 *
 *   PUSH_AUTH             on (default) | off (the emulator sends no token)
 *   PUSH_AUDIENCE         the audience the subscriptions mint tokens for
 *   PUSH_SERVICE_ACCOUNT  the subscriptions' oidc_token service account
 */
import type { HttpFunction, Response } from '@google-cloud/functions-framework';
import type { Env } from './env';
import { authSwitch, behindCloudRunIam, failureStatus, jwksUrl, requiredList, sharedJwks } from './google-auth-env';
import { bearerToken, createIdTokenVerifier, type IdTokenVerifier } from './google-id-token';
import { createJwks } from './jwks';
import { createLogger, type Logger } from './log';
import { setUpTracing } from './trace';

export type PushAuthConfig =
  { enabled: false } | { enabled: true; audiences: string[]; serviceAccount: string; trustGoogleFrontEnd: boolean; jwksUrl: string };

export function pushAuthConfig(env: Env = process.env): PushAuthConfig {
  if (!authSwitch('PUSH_AUTH', env.PUSH_AUTH)) return { enabled: false };
  const because = 'while PUSH_AUTH is on (set PUSH_AUTH=off only on the emulator)';
  const [serviceAccount] = requiredList('PUSH_SERVICE_ACCOUNT', env.PUSH_SERVICE_ACCOUNT, because);
  return {
    enabled: true,
    audiences: requiredList('PUSH_AUDIENCE', env.PUSH_AUDIENCE, because),
    serviceAccount: (serviceAccount as string).toLowerCase(),
    trustGoogleFrontEnd: behindCloudRunIam(env),
    jwksUrl: jwksUrl(env),
  };
}

/** Why a push was refused; the message is ours and never quotes the token. */
export interface PushRefusal {
  status: 401 | 403 | 503;
  code: 'unauthenticated' | 'wrong_push_identity' | 'auth_unavailable';
  reason: string;
  message: string;
}

/** The refusal, or undefined; at once (no promise) when there is nothing to verify (PUSH_AUTH=off). */
export type PushCheck = (
  headers: Record<string, string | string[] | undefined>,
) => PushRefusal | undefined | Promise<PushRefusal | undefined>;

export interface PushCheckDeps {
  fetch?: typeof fetch;
  now?: () => number;
}

export function createPushCheck(config: PushAuthConfig, deps: PushCheckDeps = {}): PushCheck {
  if (!config.enabled) return () => undefined;
  const jwks = deps.fetch || deps.now ? createJwks({ url: config.jwksUrl, ...deps }) : sharedJwks(config.jwksUrl);
  const verifier: IdTokenVerifier = createIdTokenVerifier(config, jwks, deps.now);
  return async (headers) => {
    const identity = await verifier.verify(bearerToken(headers));
    if (!identity.ok) {
      const status = failureStatus(identity.reason);
      return {
        status,
        code: status === 503 ? 'auth_unavailable' : 'unauthenticated',
        reason: identity.reason,
        message: identity.message,
      };
    }
    if (identity.email !== config.serviceAccount)
      return {
        status: 403,
        code: 'wrong_push_identity',
        reason: 'wrong_service_account',
        message: 'the push was not sent as our push service account',
      };
    return undefined;
  };
}

/** The push check this environment configures; throws ConfigError when PUSH_AUTH is on and a setting is missing. */
export function pushCheckFromEnv(env: Env = process.env): PushCheck {
  return createPushCheck(pushAuthConfig(env));
}

export interface RequirePushAuthOptions {
  /** The check; from the environment (PUSH_AUTH, PUSH_AUDIENCE, PUSH_SERVICE_ACCOUNT) by default, read now: a gap fails the cold start. */
  check?: PushCheck;
  logger?: Logger;
}

/**
 * `handler` behind the push check: an unauthenticated push is answered 401
 * (403 for a token of another account, 503 when Google's keys cannot be had)
 * and never reaches the handler, so it writes and publishes nothing. Pub/Sub
 * itself never sends such a push; were it ours, the non-2xx nacks it and the
 * subscription's retries and dead-letter topic keep it.
 */
export function requirePushAuth(name: string, handler: HttpFunction, options: RequirePushAuthOptions = {}): HttpFunction {
  // Every pushed function is built through here: its trace settings are read now, so a bad one fails the cold start.
  setUpTracing();
  const check = options.check ?? pushCheckFromEnv();
  const log = options.logger ?? createLogger({ component: name });
  const refuse = (res: Response, refusal: PushRefusal): void => {
    log.warn('push refused: not from our push subscription', {
      outcome: 'rejected',
      status: refusal.status,
      error: refusal.code,
      reason: refusal.reason,
    });
    if (refusal.status === 401) res.set('WWW-Authenticate', 'Bearer');
    res.status(refusal.status).json({ error: refusal.code, message: refusal.message });
  };
  return (req, res) => {
    const answer = check(req.headers);
    // An answer at once is used at once: the framework's per-request domain tracks every promise a request makes.
    if (answer instanceof Promise) return answer.then((refusal) => (refusal ? refuse(res, refusal) : handler(req, res)));
    return answer ? refuse(res, answer) : handler(req, res);
  };
}
