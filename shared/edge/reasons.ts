/**
 * Every way the edge answers something other than 200, in one table: the
 * status, the `error` code the caller sees, the sentence it reads, and how the
 * log line classifies it. Log `reason` values are these keys; alerts are built
 * on them, so renaming one is a breaking change.
 *
 * Authentication failures that would tell a prober something (which LINE bot
 * ids or Telegram tokens exist, whether a secret is configured) all show the
 * caller `bad_signature`; the log keeps the precise reason.
 */
export type Outcome = 'accepted' | 'rejected' | 'handshake' | 'error';

interface ReasonSpec {
  status: number;
  /** The `error` field of the JSON body. */
  code: string;
  message: string;
  outcome: 'rejected' | 'error';
}

export const REASONS = {
  not_found: { status: 404, code: 'not_found', message: 'This webhook is served at the function root path.', outcome: 'rejected' },
  method_not_allowed: { status: 405, code: 'method_not_allowed', message: 'This method is not supported here.', outcome: 'rejected' },
  invalid_handshake: {
    status: 400,
    code: 'invalid_handshake',
    message: 'A verification request needs hub.mode=subscribe, hub.verify_token and hub.challenge.',
    outcome: 'rejected',
  },
  unknown_verify_token: { status: 403, code: 'unknown_verify_token', message: 'The verify token does not match.', outcome: 'rejected' },
  malformed_request: { status: 400, code: 'malformed_request', message: 'The request is not valid HTTP/1.1.', outcome: 'rejected' },
  expectation_failed: {
    status: 417,
    code: 'expectation_failed',
    message: 'The only expectation supported is 100-continue.',
    outcome: 'rejected',
  },
  body_too_large: { status: 413, code: 'body_too_large', message: 'The request body exceeds the size limit.', outcome: 'rejected' },
  unsupported_media_type: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'The request body must be application/json.',
    outcome: 'rejected',
  },
  malformed_json: { status: 400, code: 'malformed_json', message: 'The request body is not a JSON object.', outcome: 'rejected' },
  missing_signature: { status: 401, code: 'missing_signature', message: 'The request carries no signature.', outcome: 'rejected' },
  bad_signature: { status: 401, code: 'bad_signature', message: 'The request signature could not be verified.', outcome: 'rejected' },
  unknown_destination: { status: 401, code: 'bad_signature', message: 'The request signature could not be verified.', outcome: 'rejected' },
  unknown_secret_token: {
    status: 401,
    code: 'bad_signature',
    message: 'The request signature could not be verified.',
    outcome: 'rejected',
  },
  secret_not_configured: {
    status: 401,
    code: 'bad_signature',
    message: 'The request signature could not be verified.',
    outcome: 'rejected',
  },
  registry_unavailable: {
    status: 503,
    code: 'registry_unavailable',
    message: 'The request could not be authenticated right now; retry later.',
    outcome: 'error',
  },
  publish_failed: { status: 503, code: 'publish_failed', message: 'The event could not be stored; retry later.', outcome: 'error' },
  internal_error: { status: 500, code: 'internal_error', message: 'Unexpected error.', outcome: 'error' },
} as const satisfies Record<string, ReasonSpec>;

export type Reason = keyof typeof REASONS;
