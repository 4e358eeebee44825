/**
 * The contract between the request pipeline (shared/edge/pipeline.ts) and the
 * per-platform edge modules (shared/platforms/<platform>/edge.ts). A platform
 * module says how to authenticate a POST (and, for Meta, how to answer the
 * subscription handshake); everything else (method, path, size, content type,
 * JSON, publish, status codes, logging) is the pipeline's and is the same for all.
 */
import type { BlockRegistry } from '../blocks';
import type { Logger } from '../log';
import type { Platform } from '../platforms';
import type { EdgeConfig } from './config';
import type { Headers } from './headers';

/** Why a signature check failed; the result of every pure verifier. */
export type SignatureFailure = 'missing_signature' | 'bad_signature' | 'secret_not_configured';
export type VerifyResult = { ok: true } | { ok: false; reason: SignatureFailure };

/** Why authentication failed. Callers only ever learn missing_signature or bad_signature (see pipeline). */
export type AuthFailure =
  | SignatureFailure
  /** LINE: the body names no `destination`, or one no Block is connected to. */
  | 'unknown_destination'
  /** Telegram: no Block has this secret token. */
  | 'unknown_secret_token';

export interface ResolvedBlock {
  block_id: string;
  workspace_id: string;
}

export type AuthOutcome = { ok: true; block?: ResolvedBlock } | { ok: false; reason: AuthFailure };

export interface AuthInput {
  rawBody: Buffer;
  headers: Headers;
  /** The body parsed from rawBody: a JSON object. Only for lookups (LINE destination), never trusted. */
  json: Record<string, unknown>;
}

export interface AuthContext {
  config: EdgeConfig;
  /** Present for platforms whose secrets are per Block (needsRegistry). */
  registry: BlockRegistry | undefined;
  log: Logger;
}

export type HandshakeOutcome =
  | { ok: true; challenge: string; tokenIndex: number }
  | { ok: false; status: 400 | 403; reason: 'invalid_handshake' | 'unknown_verify_token' };

export interface EdgeAdapter {
  readonly platform: Platform;
  /** Whether authenticate needs the Block registry (per-Block secrets). */
  readonly needsRegistry: boolean;
  /** Answers `GET` (Meta's subscription verification). Absent: GET is 405. */
  handshake?(query: URLSearchParams, config: EdgeConfig): HandshakeOutcome;
  /** Synchronous when no lookup is needed (Meta): the hot path then awaits nothing. */
  authenticate(input: AuthInput, ctx: AuthContext): AuthOutcome | Promise<AuthOutcome>;
}
