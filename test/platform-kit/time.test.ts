/**
 * Platform times to ISO 8601 (shared/platform-kit/time.ts): the edges of the
 * range a Date holds, the calendar, receive times taken as they are, and the
 * fallbacks and errors a mapper relies on. properties.test.ts compares random
 * times with Date; these pin the cases a random draw rarely lands on.
 */
import { ItemProblem } from '../../shared/platform-kit/problems';
import { dateToIso, epochToIso, eventTime, isPlausibleTime } from '../../shared/platform-kit/time';
import { thrownBy } from '../normalize/support';

describe('epochToIso', () => {
  it.each<[number | string, 's' | 'ms' | 'auto', string | undefined]>([
    [0, 'ms', '1970-01-01T00:00:00.000Z'],
    [86_400_000, 'ms', '1970-01-02T00:00:00.000Z'],
    [-1, 'ms', '1969-12-31T23:59:59.999Z'],
    [253_402_300_799_999, 'ms', '9999-12-31T23:59:59.999Z'],
    [253_402_300_800_000, 'ms', '+010000-01-01T00:00:00.000Z'],
    [8.64e15, 'ms', '+275760-09-13T00:00:00.000Z'],
    [8.64e15 + 1, 'ms', undefined],
    [-8.64e15 - 1, 'ms', undefined],
    [1711880130, 's', '2024-03-31T10:15:30.000Z'],
    ['1711880130', 's', '2024-03-31T10:15:30.000Z'],
    [1711880130, 'auto', '2024-03-31T10:15:30.000Z'],
    [1711880130123, 'auto', '2024-03-31T10:15:30.123Z'],
    ['', 's', undefined],
    ['  ', 's', undefined],
    ['soon', 's', undefined],
    [Number.NaN, 'ms', undefined],
  ])('reads %p (%s) as %p', (value, unit, iso) => {
    expect(epochToIso(value, unit)).toBe(iso);
  });

  it.each([
    '1970-01-01T00:00:00.000Z',
    '2000-02-29T12:00:00.000Z',
    '2024-01-01T00:00:00.000Z',
    '2024-02-29T23:59:59.999Z',
    '2024-03-01T00:00:00.000Z',
    '2024-12-31T23:59:59.999Z',
    '2100-02-28T23:59:59.999Z',
    '2100-03-01T00:00:00.000Z',
  ])('lands on the right calendar day at %s', (iso) => {
    expect(epochToIso(Date.parse(iso), 'ms')).toBe(iso);
  });
});

describe('dateToIso', () => {
  it.each<[unknown, string | undefined]>([
    ['2024-03-31T10:15:30.000Z', '2024-03-31T10:15:30.000Z'],
    ['2024-03-31T10:15:30Z', '2024-03-31T10:15:30.000Z'],
    ['2024-03-31T12:15:30+02:00', '2024-03-31T10:15:30.000Z'],
    ['2024-03-31T10:16:10+0000', '2024-03-31T10:16:10.000Z'],
    ['2023-02-30T00:00:00.000Z', '2023-03-02T00:00:00.000Z'],
    ['March 31, 2024 10:15:30 UTC', undefined],
    ['2024-03-31', undefined],
    [1711880130, undefined],
    [undefined, undefined],
  ])('reads %p as %p', (value, iso) => {
    expect(dateToIso(value)).toBe(iso);
  });
});

describe('eventTime', () => {
  const FALLBACK = '2024-03-31T10:15:31.000Z';

  it('reads the field when it is a time', () => {
    expect(eventTime({ date: 1711880130 }, 'date', 'message', 's', [FALLBACK])).toBe('2024-03-31T10:15:30.000Z');
  });

  it('takes the first fallback that is a time, calling the ones that are functions', () => {
    expect(eventTime({}, 'timestamp', 'x', 'auto', [() => undefined, undefined, FALLBACK])).toBe(FALLBACK);
    expect(eventTime({}, 'timestamp', 'x', 'auto', [() => '2024-01-01T00:00:00.000Z', FALLBACK])).toBe('2024-01-01T00:00:00.000Z');
    expect(eventTime(null, 'date', 'm', 's', [FALLBACK])).toBe(FALLBACK);
    expect(eventTime({ date: 'soon' }, 'date', 'm', 's', [FALLBACK])).toBe(FALLBACK);
  });

  it('names the item and field when the time is missing or not a time and nothing falls back', () => {
    const absent = thrownBy(() => eventTime({}, 'date', 'events[2].message', 's'));
    expect(absent).toBeInstanceOf(ItemProblem);
    expect(absent).toMatchObject({ reason: 'invalid', detail: 'events[2].message.date is missing' });
    expect(thrownBy(() => eventTime({ date: 'soon' }, 'date', 'm', 's', [() => undefined]))).toMatchObject({
      reason: 'invalid',
      detail: 'm.date is not an epoch time',
    });
  });
});

describe('isPlausibleTime', () => {
  it.each([
    ['2024-03-31T10:15:30.123Z', true],
    ['2000-01-01T00:00:00.000Z', true],
    ['9999-12-31T23:59:59.999Z', true],
    ['1999-12-31T23:59:59.999Z', false],
    ['1969-12-31T23:59:55.000Z', false],
    ['+010000-01-01T00:00:00.000Z', false],
    ['-000001-01-01T00:00:00.000Z', false],
    ['2024-03-31T10:15:30+02:00', true],
    ['not a time', false],
  ])('%s: %s', (iso, plausible) => expect(isPlausibleTime(iso)).toBe(plausible));
});
