/**
 * Platform times to ISO 8601. Meta and LINE send epoch milliseconds, WhatsApp
 * epoch seconds as a string, Telegram epoch seconds; Meta's `entry.time` is
 * seconds on some objects and milliseconds on others, so `epochToIso` tells
 * them apart by size (1e11 s is the year 5138; 1e11 ms is 1973).
 */
import { num } from './fields';
import { malformed, missing } from './problems';

const MAX_MS = 8.64e15; // the largest time a JS Date holds

function toIso(ms: number): string | undefined {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_MS) return undefined;
  return new Date(Math.round(ms)).toISOString();
}

export type EpochUnit = 's' | 'ms' | 'auto';

/** ISO from an epoch number or numeric string; undefined when it is not one. */
export function epochToIso(value: unknown, unit: EpochUnit): string | undefined {
  const n = num(value);
  if (n === undefined) return undefined;
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : Math.abs(n) < 1e11 ? n * 1000 : n;
  return toIso(ms);
}

/** ISO from a string that already is a date (Meta feed `created_time` may be ISO). */
export function dateToIso(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : toIso(ms);
}

/**
 * The event time at `field`, else the first fallback that is a time. Throws
 * ItemProblem(invalid) naming `base.field` when present but not a time and no
 * fallback applies, or when absent and `required`.
 */
export function eventTime(
  obj: unknown,
  field: string,
  base: string,
  unit: EpochUnit,
  fallbacks: Array<string | undefined> = [],
): string {
  const value = (obj as Record<string, unknown> | null)?.[field];
  const iso = epochToIso(value, unit) ?? dateToIso(value);
  if (iso) return iso;
  const fallback = fallbacks.find((f): f is string => !!f);
  if (fallback) return fallback;
  throw value === undefined ? missing(base, field) : malformed(base, field, 'an epoch time');
}
