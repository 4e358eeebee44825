/**
 * Envelope validation with ajv: one validator per event type, compiled once
 * (lazily, on first use of that type) and picked by `type`, so an error names
 * the field of that type's schema rather than 35 oneOf branches.
 */
import Ajv, { _, type ErrorObject, type KeywordCxt, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats';
import { hasIsoUtcShape, isCalendarDate } from '../runtime/iso-utc';
import { EVENT_TYPE_NAMES, isEventType, type EventType } from './event-types';
import { ENVELOPE_SCHEMAS, type Envelope } from './envelope';

/**
 * Two compilations of each type's schema, with the same meaning:
 *   fast  every envelope goes through it; it stops at the first error, checks
 *         a schema rewritten to mean the same at less cost (see fastForm) and
 *         recognizes our own `toISOString` timestamps with one regex (see dateTime);
 *   full  only an envelope the fast one rejected; it lists every violation,
 *         with the messages of the schema as published.
 */
const fastAjv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
const fullAjv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(fullAjv, ['date-time']);

const fullDateTime = fullFormats['date-time'] as { validate: (s: string) => boolean };

/**
 * RFC 3339 date-time, exactly as ajv-formats' full check decides, but the shape
 * Date#toISOString writes (every time the normalizer emits) takes one regex
 * and a calendar check instead of a split and two capturing regexes; any other
 * shape (offsets, leap seconds, lowercase) goes to ajv-formats itself.
 */
function dateTime(value: string): boolean {
  return hasIsoUtcShape(value) ? isCalendarDate(value) : fullDateTime.validate(value);
}
fastAjv.addFormat('date-time', { type: 'string', validate: dateTime });
/** A string's `minLength: 1` in the fast form (see fastForm): one length test. */
fastAjv.addKeyword({
  keyword: 'nonEmpty',
  type: 'string',
  schemaType: 'boolean',
  code: (cxt: KeywordCxt) => cxt.fail(_`${cxt.data}.length === 0`),
});

/**
 * A schema that accepts exactly what `schema` accepts, in a form ajv checks
 * faster:
 *   - TypeBox writes a union of string literals as `anyOf: [{const}, ...]`,
 *     which ajv checks branch by branch, allocating an error object for every
 *     branch that misses (a WhatsApp envelope's `platform` alone costs four).
 *     `enum` accepts the same values in one check.
 *   - `minLength: 1` makes ajv count a string's code points, a loop over the
 *     whole string (a message text, every id) for what its emptiness decides:
 *     it becomes our `nonEmpty` keyword. Other lengths keep their counting;
 *     none exist today.
 */
function fastForm(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(fastForm);
  if (typeof schema !== 'object' || schema === null) return schema;
  const { anyOf, ...rest } = schema as Record<string, unknown>;
  const literals = Array.isArray(anyOf) ? anyOf.map((b) => (b as { const?: unknown }).const) : [];
  if (
    Array.isArray(anyOf) &&
    literals.length > 0 &&
    literals.every((c) => typeof c === 'string') &&
    anyOf.every((b) => Object.keys(b as object).every((k) => k === 'const' || k === 'type'))
  ) {
    return { ...rest, type: 'string', enum: literals };
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = fastForm(value);
  if (out.type === 'string' && out.minLength === 1) {
    const { minLength: _one, ...nonEmpty } = out;
    return { ...nonEmpty, nonEmpty: true };
  }
  return out;
}

const fastValidators = new Map<EventType, ValidateFunction>();
const fullValidators = new Map<EventType, ValidateFunction>();

function schemaOf(type: EventType): Record<string, unknown> {
  const { $id: _id, ...schema } = ENVELOPE_SCHEMAS[type] as unknown as Record<string, unknown>;
  return schema;
}

function fastValidator(type: EventType): ValidateFunction {
  let validate = fastValidators.get(type);
  if (!validate) {
    validate = fastAjv.compile(fastForm(schemaOf(type)) as Record<string, unknown>);
    fastValidators.set(type, validate);
  }
  return validate;
}

function fullValidator(type: EventType): ValidateFunction {
  let validate = fullValidators.get(type);
  if (!validate) {
    validate = fullAjv.compile(schemaOf(type));
    fullValidators.set(type, validate);
  }
  return validate;
}

export interface SchemaViolation {
  /** JSON pointer into the envelope, e.g. `/data/message/text`. */
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; envelope: Envelope } | { ok: false; type: string | undefined; violations: SchemaViolation[] };

function describe(error: ErrorObject): SchemaViolation {
  const extra =
    error.keyword === 'additionalProperties'
      ? ` (${String((error.params as { additionalProperty?: string }).additionalProperty)})`
      : error.keyword === 'enum' || error.keyword === 'const'
        ? ` (${JSON.stringify(error.params)})`
        : '';
  return { path: error.instancePath || '/', message: `${error.message ?? error.keyword}${extra}` };
}

export function validateEnvelope(value: unknown): ValidationResult {
  const type = (value as { type?: unknown } | null)?.type;
  if (!isEventType(type)) {
    return {
      ok: false,
      type: typeof type === 'string' ? type : undefined,
      violations: [{ path: '/type', message: `must be one of the ${EVENT_TYPE_NAMES.length} event types` }],
    };
  }
  if (fastValidator(type)(value)) return { ok: true, envelope: value as Envelope };
  const full = fullValidator(type);
  full(value);
  return { ok: false, type, violations: (full.errors ?? []).map(describe) };
}

/** Thrown where an invalid envelope is a programming error (our own code built it). */
export class EnvelopeValidationError extends Error {
  override readonly name = 'EnvelopeValidationError';
  constructor(
    readonly type: string | undefined,
    readonly violations: SchemaViolation[],
  ) {
    super(`invalid ${type ?? 'event'} envelope: ${violations.map((v) => `${v.path} ${v.message}`).join('; ')}`);
  }
}

export function assertEnvelope(value: unknown): Envelope {
  const result = validateEnvelope(value);
  if (!result.ok) throw new EnvelopeValidationError(result.type, result.violations);
  return result.envelope;
}

/** Compiles every fast-path validator now (for warm-up before a benchmark or at start-up); the full ones compile on a first failure. */
export function compileAllValidators(): void {
  for (const type of EVENT_TYPE_NAMES) fastValidator(type);
}
