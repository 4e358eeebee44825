/** Payloads the API shows: one nested too deep to answer as JSON is shown as text, cut, instead of a 500. */
import { parseJson, showable } from '../../shared/events-api/present';

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

it('shows stored JSON as its value, and JSON nested past 64 levels as its text', () => {
  expect(parseJson('{"a":[1]}')).toEqual({ a: [1] });
  expect(parseJson('not json')).toBe('not json');
  const text = deep(10_000);
  expect(parseJson(text)).toBe(text);
  expect(() => JSON.stringify(parseJson(text))).not.toThrow();
});

it('shows a deep batch item as its JSON cut at 64 levels', () => {
  const shown = showable(JSON.parse(deep(10_000)));
  expect(typeof shown).toBe('string');
  expect((shown as string).startsWith('['.repeat(64))).toBe(true);
  expect(showable({ a: 1 })).toEqual({ a: 1 });
});
