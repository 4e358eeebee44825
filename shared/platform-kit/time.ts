/**
 * Platform times to ISO 8601. Meta and LINE send epoch milliseconds, WhatsApp
 * epoch seconds as a string, Telegram epoch seconds; Meta's `entry.time` is
 * seconds on some objects and milliseconds on others, so `epochToIso` tells
 * them apart by size (1e11 s is the year 5138; 1e11 ms is 1973).
 */
import { isCanonicalIso } from '../runtime/iso-utc';
import { num } from './fields';
import { malformed, missing } from './problems';

const MAX_MS = 8.64e15; // the largest time a JS Date holds

/** Zero-padded renderings of 0-999, read instead of built: docs/performance.md#iso-times-by-arithmetic */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

function toIso(ms: number): string | undefined {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_MS) return undefined;
  const t = Math.round(ms);
  // Arithmetic, not Date#toISOString (docs/performance.md#iso-times-by-arithmetic); years outside 0-9999 need its extended format.
  if (t < 0 || t >= YEAR_10000_MS) return new Date(t).toISOString();
  const days = Math.floor(t / DAY_MS);
  const { year, month, day } = civilFromDays(days);
  const inDay = t - days * DAY_MS;
  const h = Math.floor(inDay / 3_600_000);
  const m = Math.floor((inDay % 3_600_000) / 60_000);
  const sec = Math.floor((inDay % 60_000) / 1000);
  // Years here are 1970-9999: four digits without padding.
  return `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[sec]}.${THREE_DIGITS[inDay % 1000]}Z`;
}

const DAY_MS = 86_400_000;
const YEAR_10000_MS = 253_402_300_800_000;

/** Days since 1970-01-01 → proleptic Gregorian date (Howard Hinnant's civil_from_days, for days ≥ 0). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097; // day of the 400-year era
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // day of the March-based year
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day: doy - Math.floor((153 * mp + 2) / 5) + 1 };
}

export type EpochUnit = 's' | 'ms' | 'auto';

/** ISO from an epoch number or numeric string; undefined when it is not one. */
export function epochToIso(value: unknown, unit: EpochUnit): string | undefined {
  const n = num(value);
  if (n === undefined) return undefined;
  const ms = unit === 'ms' ? n : unit === 's' ? n * 1000 : Math.abs(n) < 1e11 ? n * 1000 : n;
  return toIso(ms);
}

/** ISO from a string that already is a date (Meta feed `created_time` may be ISO; the edge's receive times are). */
export function dateToIso(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Already what the rest would write: the edge's receive time of every batch.
  if (isCanonicalIso(value)) return value;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : toIso(ms);
}

/** 2000-01-01 and the end of 9999: no platform event is older, and Firestore (the event log) holds no later time. */
const MIN_PLAUSIBLE_MS = 946_684_800_000;
const MAX_PLAUSIBLE_MS = 253_402_300_799_999;

/**
 * Whether an ISO time can be a platform event's: from 2000 to 9999. An epoch
 * of -5 is a real 1969 date, but no event's, and a 30-day log would drop it
 * the moment it arrived; the normalizer puts the receive time instead.
 */
export function isPlausibleTime(iso: string): boolean {
  // Every time this module writes has a four-digit year first (docs/performance.md#iso-times-by-arithmetic): compare, don't parse.
  if (iso.charCodeAt(4) === 45 && /^\d{4}/.test(iso)) return iso >= '2000-';
  const ms = Date.parse(iso);
  return ms >= MIN_PLAUSIBLE_MS && ms <= MAX_PLAUSIBLE_MS;
}

/** A fallback time, or a function that finds one when finding it is costly and rarely needed: docs/performance.md#lazy-fallback-times */
export type FallbackTime = string | undefined | (() => string | undefined);

/**
 * The event time at `field`, else the first fallback that is a time. Throws
 * ItemProblem(invalid) naming `base.field` when present but not a time and no
 * fallback applies, or when absent and `required`.
 */
export function eventTime(obj: unknown, field: string, base: string, unit: EpochUnit, fallbacks: FallbackTime[] = []): string {
  const value = (obj as Record<string, unknown> | null)?.[field];
  const iso = epochToIso(value, unit) ?? dateToIso(value);
  if (iso) return iso;
  for (const f of fallbacks) {
    const fallback = typeof f === 'function' ? f() : f;
    if (fallback) return fallback;
  }
  throw value === undefined ? missing(base, field) : malformed(base, field, 'an epoch time');
}
