/**
 * Configuration of a webhook function, read from the environment once when the
 * function is created. Malformed values throw ConfigError at load (the
 * deployment fails visibly); missing secrets do not throw: the function then
 * rejects every request it cannot authenticate (fail closed) and logs why.
 *
 * | variable                     | default        | meaning |
 * |------------------------------|----------------|---------|
 * | RAW_TOPIC                    | webhook-raw    | Pub/Sub topic verified requests are published to |
 * | EDGE_MAX_BODY_BYTES          | 1048576 (1 MiB)| largest body accepted; larger gets 413 |
 * | EDGE_PUBLISH_TIMEOUT_MS      | 10000          | how long a request waits for Pub/Sub before answering 503 |
 * | EDGE_REGISTRY_TIMEOUT_MS     | 5000           | LINE, Telegram: how long a Block lookup may take before answering 503 |
 * | META_APP_SECRET              | (none)         | Meta app secret(s), comma-separated, current first |
 * | META_VERIFY_TOKEN            | (none)         | Meta webhook verify token(s), comma-separated, current first |
 * | <PLATFORM>_APP_SECRET        | (none)         | INSTAGRAM_/MESSENGER_/WHATSAPP_: overrides META_APP_SECRET for that function |
 * | <PLATFORM>_VERIFY_TOKEN      | (none)         | same override for the verify token |
 */
import type { Platform } from '../platforms';
import { topicName } from '../contracts/topics';
import { envNumber, type Env } from '../runtime/env';

export interface EdgeConfig {
  platform: Platform;
  rawTopic: string;
  maxBodyBytes: number;
  publishTimeoutMs: number;
  /** LINE, Telegram: the deadline of each Block registry read (then 503 registry_unavailable). */
  registryTimeoutMs: number;
  /** Meta only: app secrets, current first (several during a rotation). Empty: every POST is rejected. */
  appSecrets: string[];
  /** Meta only: verify tokens, current first. Empty: every handshake is rejected. */
  verifyTokens: string[];
}

export const EDGE_DEFAULTS = {
  maxBodyBytes: 1024 * 1024,
  publishTimeoutMs: 10_000,
  registryTimeoutMs: 5_000,
} as const;

/** Comma-separated list; blanks dropped so that "a, ,b" and trailing commas do not yield an empty secret. */
export function secretList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

type MetaSecret = 'APP_SECRET' | 'VERIFY_TOKEN';

/** The variables a Meta secret is read from, in order: the platform's own, then the Meta-wide one. */
export function metaSecretVariables(platform: Platform, suffix: MetaSecret): readonly [string, string] {
  return [`${platform.toUpperCase()}_${suffix}`, `META_${suffix}`];
}

/** The platform's own variable when it is set (even to a list), else the Meta-wide one. */
function metaSecret(env: Env, platform: Platform, suffix: MetaSecret): string[] {
  const [ownVariable, metaVariable] = metaSecretVariables(platform, suffix);
  const own = secretList(env[ownVariable]);
  return own.length > 0 ? own : secretList(env[metaVariable]);
}

export const META_PLATFORMS: ReadonlySet<Platform> = new Set(['instagram', 'messenger', 'whatsapp']);

export function isMetaPlatform(platform: Platform): boolean {
  return META_PLATFORMS.has(platform);
}

export function loadEdgeConfig(platform: Platform, env: Env = process.env): EdgeConfig {
  const rawTopic = topicName('raw', env);
  const meta = isMetaPlatform(platform);
  return {
    platform,
    rawTopic,
    maxBodyBytes: envNumber(env, 'EDGE_MAX_BODY_BYTES', EDGE_DEFAULTS.maxBodyBytes, { integer: true, min: 1 }),
    publishTimeoutMs: envNumber(env, 'EDGE_PUBLISH_TIMEOUT_MS', EDGE_DEFAULTS.publishTimeoutMs, { integer: true, min: 1 }),
    registryTimeoutMs: envNumber(env, 'EDGE_REGISTRY_TIMEOUT_MS', EDGE_DEFAULTS.registryTimeoutMs, { integer: true, min: 1 }),
    appSecrets: meta ? metaSecret(env, platform, 'APP_SECRET') : [],
    verifyTokens: meta ? metaSecret(env, platform, 'VERIFY_TOKEN') : [],
  };
}
