/**
 * Reading untyped JSON the way real payloads need: ids that arrive as numbers
 * or strings, optional fields that are simply absent, and a precise message
 * (`entry[0].messaging[2].sender.id is missing`) when a required one is.
 */
import { malformed, missing } from './problems';

export type Json = Record<string, unknown>;

export function isObj(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Dotted paths split once, per literal path: docs/performance.md#field-paths-split-once */
const pathKeys = new Map<string, readonly string[]>();
function keysOf(field: string): readonly string[] {
  let keys = pathKeys.get(field);
  if (!keys) {
    keys = field.split('.');
    pathKeys.set(field, keys);
  }
  return keys;
}

/** A field's value by dotted path (`sender.id`), or undefined. */
export function at(value: unknown, field: string): unknown {
  let cur: unknown = value;
  for (const key of keysOf(field)) {
    if (!isObj(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

/** A string or a finite number as a string (platform ids come both ways); else undefined. */
export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

/** A non-empty id at `field` of `obj`, as a string; ItemProblem when absent or empty. */
export function reqId(obj: unknown, field: string, base: string): string {
  const value = at(obj, field);
  if (value === undefined || value === null) throw missing(base, field);
  const s = str(value);
  if (s === undefined) throw malformed(base, field, 'a string or number');
  if (s.length === 0) throw missing(base, field);
  return s;
}

/** An optional id: a string/number as a string, undefined when absent or empty. */
export function optId(obj: unknown, field: string): string | undefined {
  const s = str(at(obj, field));
  return s ? s : undefined;
}

/** An optional text field; numbers are not text. */
export function optText(obj: unknown, field: string): string | undefined {
  const value = at(obj, field);
  return typeof value === 'string' ? value : undefined;
}

/** A finite number, also from a numeric string (`"30"`). */
export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A non-negative integer (sizes, durations), else undefined. */
export function count(value: unknown): number | undefined {
  const n = num(value);
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** An object's own entries that are strings, for string maps (LINE postback params). */
export function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isObj(value)) return undefined;
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(value)) {
    const s = str(v);
    if (s !== undefined) {
      out[k] = s;
      any = true;
    }
  }
  return any ? out : undefined;
}

/**
 * `{ ...base, ...extra }`, built property by property. Mappers use this, never
 * a spread followed by more properties: docs/performance.md#stable-object-shapes
 */
export function merge<A extends object, B extends object>(base: A, extra: B): Omit<A, keyof B> & B {
  const out: Record<string, unknown> = {};
  for (const key in base) out[key] = base[key];
  for (const key in extra) out[key] = extra[key];
  return out as Omit<A, keyof B> & B;
}

/**
 * A copy without undefined properties, so optional schema fields are absent
 * rather than undefined. A copy, not `delete`: docs/performance.md#stable-object-shapes
 */
export function compact<T extends Record<string, unknown>>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key in value) if (value[key] !== undefined) out[key] = value[key];
  return out as T;
}
