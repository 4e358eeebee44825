/**
 * The problem types of the JSON APIs (events API, blocks API): every error
 * `code` an answer can carry, with its status and a short title. An error is
 * answered as RFC 9457 problem+json whose `type` is `/problems/<code>`, and
 * `GET /problems/<code>` describes that type from this table, so the type URI
 * dereferences. One table: the OpenAPI document and the docs list it too.
 */
import { STATUS_CODES } from 'node:http';

export interface ProblemType {
  status: number;
  title: string;
}

export const PROBLEM_TYPES = {
  // Any request
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  malformed_json: { status: 400, title: 'Malformed JSON body' },
  malformed_request: { status: 400, title: 'Malformed HTTP request' },
  body_too_large: { status: 413, title: 'Request body too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  expectation_failed: { status: 417, title: 'Expectation failed' },
  internal: { status: 500, title: 'Internal error' },
  // Parameters and bodies
  invalid_parameter: { status: 400, title: 'Invalid parameter' },
  unknown_parameter: { status: 400, title: 'Unknown parameter' },
  invalid_body: { status: 400, title: 'Invalid request body' },
  invalid_header: { status: 400, title: 'Invalid header' },
  invalid_workspace: { status: 400, title: 'Invalid workspace id' },
  cursor_filter_mismatch: { status: 400, title: 'Cursor used with another filter' },
  // Replay
  empty_filter: { status: 400, title: 'Empty filter not confirmed' },
  too_many_events: { status: 400, title: 'Too many matching events' },
  job_not_started: { status: 503, title: 'Replay job stored but not started' },
  not_replayable: { status: 409, title: 'Entry cannot be replayed' },
  not_publishable: { status: 409, title: 'Stored envelope no longer valid' },
  not_configured: { status: 501, title: 'Not configured' },
  // Internal events
  invalid_envelope: { status: 400, title: 'Invalid event' },
  reserved_field: { status: 400, title: 'Reserved field set' },
  type_not_allowed: { status: 400, title: 'Event type not allowed' },
  workspace_mismatch: { status: 400, title: 'Workspace does not match the path' },
  // Unrouted replay
  still_unroutable: { status: 409, title: 'Still unroutable' },
  still_rejected: { status: 409, title: 'Still rejected' },
  no_event: { status: 409, title: 'No event made' },
  body_not_stored: { status: 409, title: 'Webhook body not stored' },
  not_a_webhook_item: { status: 409, title: 'Not a webhook item' },
  routing_unavailable: { status: 503, title: 'Routing unavailable' },
  // Blocks API
  invalid_platform: { status: 400, title: 'Invalid platform' },
  bad_credentials: { status: 400, title: 'Credentials refused by the platform' },
  not_accepted: { status: 422, title: 'Webhook not accepted by the platform' },
  platform_error: { status: 502, title: 'Platform error' },
  not_connected: { status: 409, title: 'Block not connected' },
  no_credentials: { status: 409, title: 'No stored credentials' },
  account_in_use: { status: 409, title: 'Account connected elsewhere' },
  not_implemented: { status: 501, title: 'Not implemented' },
  // Authentication (runtime/caller-auth.ts)
  unauthenticated: { status: 401, title: 'Missing or invalid Google ID token' },
  caller_not_allowed: { status: 403, title: 'Caller not allowed' },
  workspace_forbidden: { status: 403, title: 'Caller may not act for this workspace' },
  operator_only: { status: 403, title: 'Operators only' },
  wrong_push_identity: { status: 403, title: 'Push not sent by our push service account' },
  auth_unavailable: { status: 503, title: 'Identity verification unavailable' },
} as const satisfies Record<string, ProblemType>;

export type ProblemCode = keyof typeof PROBLEM_TYPES;

/** `/problems/<code>`: the problem's `type`, relative to the API's origin. */
export const problemTypeUri = (code: string) => `/problems/${code}`;

/** The title of `code`: its table entry, else the HTTP reason phrase of `status` (a code not yet in the table). */
export function problemTitle(code: string, status: number): string {
  return (PROBLEM_TYPES as Record<string, ProblemType>)[code]?.title ?? STATUS_CODES[status] ?? 'Error';
}

/** What `GET /problems/<code>` answers, or undefined for a code the APIs never answer. */
export function describeProblemType(code: string): { type: string; code: string; status: number; title: string } | undefined {
  const known = Object.hasOwn(PROBLEM_TYPES, code) ? (PROBLEM_TYPES as Record<string, ProblemType>)[code] : undefined;
  return known && { type: problemTypeUri(code), code, status: known.status, title: known.title };
}
