/**
 * The UTC shape Date#toISOString writes (`2024-03-31T10:15:30.000Z`, any
 * fraction length), recognized with one regex and a calendar check: the
 * normalizer writes every time in it, the edge writes receive times in it, and
 * both the envelope validator and the normalizer's time reader see it on
 * every event, where a general RFC 3339 parser would split and re-match.
 */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?Z$/;
const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number the ASCII digits at [from, to) spell (the regex already checked they are digits): no substring per field. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + s.charCodeAt(i) - 48;
  return n;
}

/** True when `value` has the shape (seconds 00-59, hours 00-23); it may still name a day that does not exist. */
export function hasIsoUtcShape(value: string): boolean {
  return ISO_UTC.test(value);
}

/** For a value of that shape: true when its date exists (no February 30th). */
export function isCalendarDate(value: string): boolean {
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && leap ? 29 : (DAYS[month] as number));
}

/** Exactly Date#toISOString's output for a time in years 0000-9999: the shape, with milliseconds, on a real date. */
export function isCanonicalIso(value: string): boolean {
  return value.length === 24 && ISO_UTC.test(value) && isCalendarDate(value);
}
