/**
 * Reading untyped JSON (shared/platform-kit/fields.ts): ids that come as numbers
 * or strings, optional fields that are absent, and a message naming the item
 * and field when a required one is missing or of the wrong kind.
 */
import { at, compact, count, merge, num, optId, optText, reqId, str, stringMap } from '../../shared/platform-kit/fields';
import { ItemProblem } from '../../shared/platform-kit/problems';
import { thrownBy } from '../normalize/support';

describe('field readers', () => {
  it('reads dotted paths, and undefined through anything that is not an object', () => {
    const body = { sender: { id: '42' }, list: [{ id: 1 }], text: 'hi' };
    expect(at(body, 'sender.id')).toBe('42');
    expect(at(body, 'text.length')).toBeUndefined();
    expect(at(body, 'list.0')).toBeUndefined();
    expect(at(null, 'sender')).toBeUndefined();
  });

  it.each<[unknown, string | undefined]>([
    ['42', '42'],
    [42, '42'],
    [12345678901234567890n, '12345678901234567890'],
    [Infinity, undefined],
    [Number.NaN, undefined],
    [true, undefined],
    [null, undefined],
    [{}, undefined],
  ])('str(%p) is %p', (value, expected) => {
    expect(str(value)).toBe(expected);
  });

  it('requires an id: a string or number, not empty, and says which item and field when it is not', () => {
    expect(reqId({ sender: { id: 42 } }, 'sender.id', 'entry[0].messaging[0]')).toBe('42');
    for (const id of [undefined, null, '']) {
      const problem = thrownBy(() => reqId({ sender: { id } }, 'sender.id', 'entry[0].messaging[0]'));
      expect(problem).toBeInstanceOf(ItemProblem);
      expect(problem).toMatchObject({ reason: 'invalid', detail: 'entry[0].messaging[0].sender.id is missing' });
    }
    expect(thrownBy(() => reqId({ sender: { id: true } }, 'sender.id', 'entry[0].messaging[0]'))).toMatchObject({
      reason: 'invalid',
      detail: 'entry[0].messaging[0].sender.id is not a string or number',
    });
  });

  it('reads optional ids and texts as absent when empty or of another kind', () => {
    expect(optId({ id: 7 }, 'id')).toBe('7');
    expect(optId({ id: '' }, 'id')).toBeUndefined();
    expect(optText({ n: 42 }, 'n')).toBeUndefined();
    expect(optText({ t: '' }, 't')).toBe('');
  });

  it.each<[unknown, number | undefined]>([
    [30, 30],
    ['30', 30],
    [' 30 ', 30],
    ['', undefined],
    ['  ', undefined],
    ['30s', undefined],
    [Infinity, undefined],
    [null, undefined],
  ])('num(%p) is %p', (value, expected) => {
    expect(num(value)).toBe(expected);
  });

  it.each<[unknown, number | undefined]>([
    [0, 0],
    ['12', 12],
    [1.5, undefined],
    [-1, undefined],
    [undefined, undefined],
  ])('count(%p) is %p', (value, expected) => {
    expect(count(value)).toBe(expected);
  });

  it('keeps the string entries of a string map, and nothing when there are none', () => {
    expect(stringMap({ a: 'x', n: 1, b: {} })).toStrictEqual({ a: 'x', n: '1' });
    expect(stringMap({})).toBeUndefined();
    expect(stringMap({ b: {} })).toBeUndefined();
    expect(stringMap(undefined)).toBeUndefined();
  });

  it('compacts away undefined properties (absent, not undefined, in an envelope) and merges later over earlier', () => {
    expect(compact({ a: 1, b: undefined, c: null })).toStrictEqual({ a: 1, c: null });
    expect(merge({ a: 1, b: 2 }, { b: 3, c: 4 })).toStrictEqual({ a: 1, b: 3, c: 4 });
  });
});
