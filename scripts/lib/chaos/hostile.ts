/**
 * The hostile-payload set of `npm run chaos`: what an attacker or a broken
 * platform sends, signed (the edge must accept it and the log must show what
 * became of it) or not (the edge must refuse it, in JSON, and nothing is
 * published). Drawn from the cases the fuzz suite and issue #18 found.
 */
import fc from 'fast-check';
import { signedHeaders } from '../samples';

export interface HostileRequest {
  name: string;
  body: Buffer;
  headers: Record<string, string>;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
const signed = (name: string, body: Buffer): HostileRequest => ({ name, body, headers: signedHeaders('messenger', body) });
const item = (page: string, sender: string, extra: Record<string, unknown>, timestamp: number = Date.now()) => ({
  sender: { id: sender },
  recipient: { id: page },
  timestamp,
  ...extra,
});
const page = (id: string, messaging: unknown[]) => json({ object: 'page', entry: [{ id, time: Date.now(), messaging }] });

export function hostileRequests(demoPage: string, sender: string, seed: number, randomCount: number): HostileRequest[] {
  // Written as text: JSON.stringify itself overflows the stack on it, as the normalizer once did writing its rejection.
  const shallow = page(demoPage, [item(demoPage, sender, { weird_kind: 'DEEP' })]).toString('utf8');
  const deep = Buffer.from(shallow.replace('"DEEP"', '['.repeat(10_000) + ']'.repeat(10_000)), 'utf8');
  const list: HostileRequest[] = [
    signed('10,000-deep array in an unsupported kind', deep),
    signed(
      'unroutable item naming a 450 KB id',
      page('9'.repeat(450_000), [item('9', sender, { message: { mid: 'm_h_big', text: 'x' } })]),
    ),
    signed('unknown object', json({ object: 'martian', entry: [] })),
    signed('empty batch', json({ object: 'page', entry: [] })),
    signed('timestamp -5', page(demoPage, [item(demoPage, sender, { message: { mid: `m_h_ts_${seed}`, text: 'hello' } }, -5)])),
    signed(
      'item without a sender id',
      page(demoPage, [{ recipient: { id: demoPage }, timestamp: Date.now(), message: { mid: 'm_h_nos', text: 'x' } }]),
    ),
    signed('unknown page', page('105999999999999', [item('105999999999999', sender, { message: { mid: `m_h_unk_${seed}`, text: 'x' } })])),
    signed('not JSON', Buffer.from('{"object":', 'utf8')),
    signed('over 1 MiB', json({ object: 'page', pad: 'x'.repeat(1_100_000) })),
    { name: 'no signature', body: json({ object: 'page', entry: [] }), headers: { 'content-type': 'application/json' } },
    {
      name: 'wrong signature',
      body: json({ object: 'page', entry: [] }),
      headers: signedHeaders('messenger', json({ object: 'page', entry: [] }), 'not-the-secret'),
    },
    {
      name: 'form body with 2,000 fields',
      body: Buffer.from(Array.from({ length: 2000 }, (_, i) => `f${i}=1`).join('&')),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    {
      name: 'gzip claimed',
      body: json({ object: 'page' }),
      headers: { ...signedHeaders('messenger', json({ object: 'page' })), 'content-encoding': 'gzip' },
    },
  ];
  // Random JSON objects, signed: whatever their shape, each must be a rejection or an event in the log.
  const objects = fc.sample(fc.object({ maxDepth: 4 }), { seed, numRuns: randomCount });
  objects.forEach((o, i) => list.push(signed(`random object ${i}`, json(o))));
  return list;
}
