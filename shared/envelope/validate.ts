/**
 * Envelope validation with ajv: one validator per event type, compiled once
 * (lazily, on first use of that type) and picked by `type`, so an error names
 * the field of that type's schema rather than 35 oneOf branches.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { EVENT_TYPE_NAMES, isEventType, type EventType } from './event-types';
import { ENVELOPE_SCHEMAS, type Envelope } from './envelope';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv, ['date-time']);

const validators = new Map<EventType, ValidateFunction>();

function validatorFor(type: EventType): ValidateFunction {
  let validate = validators.get(type);
  if (!validate) {
    const { $id: _id, ...schema } = ENVELOPE_SCHEMAS[type] as unknown as Record<string, unknown>;
    validate = ajv.compile(schema);
    validators.set(type, validate);
  }
  return validate;
}

export interface SchemaViolation {
  /** JSON pointer into the envelope, e.g. `/data/message/text`. */
  path: string;
  message: string;
}

export type ValidationResult =
  | { ok: true; envelope: Envelope }
  | { ok: false; type: string | undefined; violations: SchemaViolation[] };

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
  const validate = validatorFor(type);
  if (validate(value)) return { ok: true, envelope: value as Envelope };
  return { ok: false, type, violations: (validate.errors ?? []).map(describe) };
}

/** Thrown where an invalid envelope is a programming error (our own code built it). */
export class EnvelopeValidationError extends Error {
  override readonly name = 'EnvelopeValidationError';
  constructor(readonly type: string | undefined, readonly violations: SchemaViolation[]) {
    super(`invalid ${type ?? 'event'} envelope: ${violations.map((v) => `${v.path} ${v.message}`).join('; ')}`);
  }
}

export function assertEnvelope(value: unknown): Envelope {
  const result = validateEnvelope(value);
  if (!result.ok) throw new EnvelopeValidationError(result.type, result.violations);
  return result.envelope;
}

/** Compiles every validator now (for warm-up before a benchmark or at start-up). */
export function compileAllValidators(): void {
  for (const type of EVENT_TYPE_NAMES) validatorFor(type);
}
