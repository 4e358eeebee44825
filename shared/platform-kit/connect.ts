/**
 * What every platform implements to connect a Block: the platform's side of
 * the Block connection service (shared/blocks/). The service orders the steps
 * and owns Firestore, events and undo; a connector only talks to its
 * platform's HTTP API:
 *
 *   identify   credentials → the account they belong to (id, display name)
 *   register   point the platform's webhook at our webhook function, with the
 *              secrets the platform will sign or authenticate deliveries with
 *   confirm    ask the platform whether it now delivers to us
 *   unregister stop the platform delivering to us (also the undo of register)
 *   check      the platform's view of the webhook (last error, backlog)
 *   rotate     optional: new webhook secrets, accepted alongside the old ones
 *              until the platform has switched (or, for a secret the operator
 *              reissued at the platform, until a grace period has passed)
 *
 * A connector whose `confirm` makes the platform send a signed request to our
 * edge (LINE's webhook test) sets `confirmNeedsBlock`: the service then writes
 * the Block (status `connecting`), its secrets and lookups before register and
 * confirm, and removes them again if either fails.
 *
 * Failures are ConnectError with a reason the API maps to a status:
 * bad_credentials (the platform refused the credentials: 400 to the caller,
 * with the platform's own words), not_accepted (the platform took the request
 * but does not deliver to us), platform_error (anything else the platform or
 * the network did: 502). Credentials and secrets never go into messages,
 * logs or events; `reason` texts are the platform's descriptions, which name
 * no secret.
 */
import type { BlockSecrets } from '../contracts/blocks';
import type { Logger } from '../runtime/log';
import type { Platform } from '../platforms';

export type ConnectFailure = 'bad_credentials' | 'platform_error' | 'not_accepted';

export class ConnectError extends Error {
  override readonly name = 'ConnectError';
  constructor(
    readonly reason: ConnectFailure,
    /** The platform's own description (Telegram's `description`), safe to show and log. */
    message: string,
    /** The platform's error code, as a string, when it gave one. */
    readonly platformCode?: string,
  ) {
    super(message);
  }
}

/**
 * One call to a platform's API: `ctx.fetch` with a 15 s limit. When the
 * platform cannot be reached, ConnectError platform_error naming only `what`
 * and the error's code: the URL may hold a token (Telegram's), so it is never
 * in the message.
 */
export async function fetchPlatform(ctx: Pick<ConnectContext, 'fetch'>, what: string, url: string, init: RequestInit): Promise<Response> {
  try {
    return await ctx.fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    const code = (err as { cause?: { code?: unknown } }).cause?.code ?? (err as { name?: string }).name;
    throw new ConnectError('platform_error', `${what} could not be reached (${String(code ?? 'network error')})`);
  }
}

/** What a connector is given: where it is reached, where its platform is, and how to call out. */
export interface ConnectContext {
  /** Our public webhook function's URL for this platform (what the platform must call). */
  webhookUrl: string;
  /** The platform API's base URL (configuration; a local fake in tests). */
  apiBase: string;
  fetch: typeof fetch;
  log: Logger;
}

/** The account credentials identify. */
export interface ConnectedAccount {
  /** The platform's id of the account: the Block's `account_id` (Telegram bot id). */
  accountId: string;
  /** A display name (Telegram @username). */
  name?: string;
}

/**
 * Per-Block secrets a connector asks the service to store: what the edge
 * verifies deliveries with, and the credentials needed to manage the webhook
 * later (disconnect, check, rotate). Field names are BlockSecrets'.
 */
export type ConnectorSecrets = BlockSecrets;

/** The platform's view of the webhook, as `check` reports it. */
export interface WebhookStatus {
  /** The platform delivers to our URL. */
  registered: boolean;
  /** The URL the platform delivers to, if any (never carries a secret). */
  url?: string;
  /** Deliveries waiting at the platform. */
  pending?: number;
  /** The platform's last delivery error, if it reports one. */
  lastError?: { message: string; at?: string };
  /** Whether the platform sends events at all (LINE's "Use webhook"), when it says. */
  active?: boolean;
  /** Whether anything is wrong (not registered, another URL, a recent error). */
  ok: boolean;
}

export interface Connector<Credentials = unknown> {
  platform: Platform;
  /**
   * `confirm` needs the Block findable at the edge (its secrets and lookups
   * written): the service writes it provisionally before register and removes
   * it if register or confirm fails.
   */
  confirmNeedsBlock?: boolean;
  /** Validates the request's `credentials` object (shape only) and returns it typed; throws ConnectError bad_credentials. */
  parseCredentials(input: unknown): Credentials;
  /** Which account the credentials belong to; bad_credentials when the platform refuses them. */
  identify(ctx: ConnectContext, credentials: Credentials): Promise<ConnectedAccount>;
  /** Fresh webhook secrets for a new registration (current first), merged with the credentials into the stored secrets. */
  newSecrets(credentials: Credentials): ConnectorSecrets;
  /** Registers `ctx.webhookUrl` with `secrets`; not_accepted / platform_error on failure. */
  register(ctx: ConnectContext, credentials: Credentials, secrets: ConnectorSecrets): Promise<void>;
  /** Throws not_accepted unless the platform now delivers to `ctx.webhookUrl`. */
  confirm(ctx: ConnectContext, credentials: Credentials): Promise<void>;
  /** Stops deliveries to us. Undo of register: must be safe to call when nothing is registered. */
  unregister(ctx: ConnectContext, credentials: Credentials): Promise<void>;
  check(ctx: ConnectContext, credentials: Credentials): Promise<WebhookStatus>;
  /**
   * A successful confirm means the platform verified our webhook URL (Meta:
   * the app subscription is active at our callback, which Meta verified with
   * the hub.challenge handshake): connect then publishes
   * platform.webhook.verified for the Block.
   */
  verifiesWebhook?: boolean;
  /** The stored credentials, from the Block's secrets (what disconnect/check/rotate use). */
  storedCredentials(secrets: ConnectorSecrets): Credentials | undefined;
  /**
   * Rotation, when the platform has one: `next` adds a new secret in front of
   * the current ones (stored before the platform switches), `register`
   * switches, `confirm` confirms, `settle` keeps only what is still valid at
   * `now` (the new one; a platform with a grace period keeps the old one until
   * it passed, and the service settles again on later rotates and checks).
   */
  rotate?: {
    /**
     * Validates rotate's `credentials` (LINE: the channel secret the operator
     * reissued in the console); without it, rotate takes no credentials.
     */
    parseInput?(input: unknown): unknown;
    next(secrets: ConnectorSecrets, input?: unknown, now?: Date): ConnectorSecrets;
    /**
     * The secrets held while `confirm` runs, when confirm must prove the new
     * secret alone (LINE's webhook test is signed with whatever LINE now holds);
     * without it, `next`'s.
     */
    confirmWith?(secrets: ConnectorSecrets): ConnectorSecrets;
    settle(secrets: ConnectorSecrets, now?: Date): ConnectorSecrets;
  };
}
