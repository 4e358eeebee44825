/**
 * Property-based: whatever arrives, the normalizer answers with envelopes and
 * rejections (never a throw), every envelope validates, every item is
 * accounted for, and the same body always yields the same ids.
 */
import fc from 'fast-check';
import { validateEnvelope } from '../../shared/envelope';
import { dateToIso, epochToIso } from '../../shared/platform-kit/time';
import { PLATFORMS, type Platform } from '../../shared/platforms';
import { FIXTURES, mutate, paths, run } from './support';

async function expectWellBehaved(platform: Platform, body: string | unknown): Promise<string[]> {
  const result = await run(platform, body);
  for (const env of result.envelopes) {
    expect(validateEnvelope(env)).toMatchObject({ ok: true });
    expect(JSON.parse(JSON.stringify(env))).toStrictEqual(env); // no undefined-valued keys: what is published is what was validated
  }
  for (const r of result.rejections) expect(['unroutable', 'unsupported', 'invalid', 'unparseable']).toContain(r.reason);
  return result.envelopes.map((e) => e.id);
}

const platform = fc.constantFrom(...PLATFORMS);

describe('normalizer properties', () => {
  it('never throws on arbitrary JSON', async () => {
    await fc.assert(
      fc.asyncProperty(platform, fc.jsonValue(), async (p, value) => {
        await expectWellBehaved(p, value);
      }),
      { numRuns: 300 },
    );
  });

  it('answers an unparseable body with exactly one unparseable rejection', async () => {
    await fc.assert(
      fc.asyncProperty(
        platform,
        fc.string().filter((s) => {
          try {
            JSON.parse(s);
            return false;
          } catch {
            return true;
          }
        }),
        async (p, text) => {
          const { normalize } = await import('../../shared/normalize/normalize');
          const { staticRouter } = await import('../../shared/normalize/router');
          const result = await normalize({ platform: p, kind: 'webhook', body: text }, staticRouter({ workspaceId: 'w', blockId: 'b' }));
          expect(result.envelopes).toEqual([]);
          expect(result.rejections.map((r) => r.reason)).toEqual(['unparseable']);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never throws on mutated real-shaped payloads, and keeps ids stable', async () => {
    const mutation = fc.integer({ min: 0, max: FIXTURES.length - 1 }).chain((i) => {
      const [p, body] = FIXTURES[i] as [Platform, unknown];
      const all = paths(body);
      return fc.record({
        platform: fc.constant(p),
        body: fc.constant(body),
        path: fc.constantFrom(...all),
        op: fc.constantFrom<'delete' | 'replace'>('delete', 'replace'),
        replacement: fc.oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.constantFrom(null, '', 0, -1, '1711880130', [], {}, 1e300, '\u0000', '\ud83d'),
        ),
      });
    });
    await fc.assert(
      fc.asyncProperty(mutation, async (m) => {
        const body = mutate(m.body, m.path, m.op, m.replacement);
        const first = await expectWellBehaved(m.platform, body);
        expect(new Set(first).size).toBe(first.length);
        expect(await expectWellBehaved(m.platform, body)).toEqual(first);
      }),
      { numRuns: 500 },
    );
  });

  it('accounts for every item of an unmutated fixture: envelopes or rejections, never silence', async () => {
    for (const [p, body] of FIXTURES) {
      const result = await run(p, body);
      expect(result.envelopes.length + result.rejections.length).toBeGreaterThan(0);
    }
  });

  it('reads ISO times exactly as Date.parse then Date#toISOString would (rolling February 30th over to March)', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const iso = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        two(13),
        two(32),
        two(24),
        two(60),
        two(60),
        fc.constantFrom('', '.5', '.123', '.1234'),
        fc.constantFrom('Z', '+02:00', ''),
      )
      .map(([y, mo, d, h, mi, s, frac, zone]) => `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${s}${frac}${zone}`);
    fc.assert(
      fc.property(iso, (value) => {
        const ms = Date.parse(value);
        expect(dateToIso(value)).toBe(Number.isNaN(ms) ? undefined : new Date(ms).toISOString());
      }),
      { numRuns: 3000 },
    );
  });

  it('writes epoch times exactly as Date#toISOString does', () => {
    const ms = fc.oneof(
      fc.integer({ min: -62_198_755_200_000, max: 8.64e15 }),
      fc.integer({ min: 0, max: 4_102_444_800_000 }),
      fc.double({ min: 0, max: 4e12, noNaN: true }),
    );
    fc.assert(
      fc.property(ms, (t) => {
        expect(epochToIso(t, 'ms')).toBe(new Date(Math.round(t)).toISOString());
      }),
      { numRuns: 2000 },
    );
  });
});
