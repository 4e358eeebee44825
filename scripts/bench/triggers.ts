/**
 * Bench part `triggers`: trigger-matching decisions per second for one
 * workspace with 500 active workflows (a realistic mix of keyword, postback,
 * comment, follow, reaction, order, field-condition and fallback triggers),
 * next to a baseline loop over the same events that only reads the event
 * type. Both run in the same process, interleaved over several rounds; the
 * table shows the medians and the ratio.
 */
import { performance } from 'node:perf_hooks';
import type { Envelope } from '../../shared/envelope';
import { buildIndex } from '../../shared/triggers/compile';
import { matchEvent } from '../../shared/triggers/match';
import type { Trigger, WorkflowRecord } from '../../shared/workflows/model';
import { testEnvelopes } from '../../test/helpers/envelopes';
import { median } from './stats';

const WORKFLOWS = 500;
const EVENTS = 2000;
const ROUNDS = 7;
const PASSES = 25; // passes over the events per round

const words = [
  'preço',
  'pedido',
  'entrega',
  'promo',
  'cupom',
  'horario',
  'suporte',
  'cancelar',
  'troca',
  'tamanho',
  'frete',
  'pix',
  'boleto',
  'catalogo',
  'ola',
];

function workflows(): WorkflowRecord[] {
  const out: WorkflowRecord[] = [];
  for (let i = 0; i < WORKFLOWS; i++) {
    const w = `${words[i % words.length]}${i}`;
    const kinds: Trigger[] = [
      {
        id: 't',
        kind: 'message',
        keywords: [
          { match: 'contains', value: w },
          { match: 'exact', value: `${w}!` },
        ],
      },
      { id: 't', kind: 'message', keywords: [{ match: 'starts_with', value: w }] },
      { id: 't', kind: 'message', keywords: [{ match: 'regex', value: `^(quero|want)\\s+${w}\\b` }] },
      { id: 't', kind: 'postback', payload: { match: i % 2 ? 'equals' : 'prefix', value: `P_${i}` } },
      { id: 't', kind: 'comment', post_ids: [`post_${i % 40}`], keywords: [{ match: 'contains', value: w }] },
      { id: 't', kind: 'message', keywords: [{ match: 'contains', value: w }], platforms: ['instagram'] },
      { id: 't', kind: 'follow', block_ids: [`blk_${i % 5}`] },
      { id: 't', kind: 'reaction', emojis: ['❤', '🔥'] },
      {
        id: 't',
        kind: 'event',
        event_type: 'commerce.order.created',
        conditions: [
          { path: 'data.order.total', op: 'exists' },
          { path: 'data.order.currency', op: 'in', value: ['BRL', 'USD'] },
        ],
      },
      { id: 't', kind: 'story_reply', keywords: [{ match: 'contains', value: w }] },
    ];
    const triggers = [kinds[i % kinds.length] as Trigger];
    if (i % 100 === 0) triggers.push({ id: 'fb', kind: 'fallback' });
    out.push({ id: `wf_${i.toString().padStart(4, '0')}`, name: w, status: 'active', priority: i % 7, triggers });
  }
  return out;
}

function events(): Envelope[] {
  const b = testEnvelopes({ workspaceId: 'ws_bench', blockId: 'blk_1', platform: 'instagram' });
  const at = '2026-03-31T10:00:00.000Z';
  const out: Envelope[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const w = `${words[i % words.length]}${(i * 7) % WORKFLOWS}`;
    const r = i % 20;
    if (r < 12)
      out.push(
        b.message({
          user: `u${i}`,
          at,
          text: r < 4 ? `Olá, quero saber do ${w.toUpperCase()} por favor` : `mensagem comum número ${i} sem palavra-chave`,
        }),
      );
    else if (r < 15) out.push(b.postback({ user: `u${i}`, at, payload: `P_${i % 600}` }));
    else if (r < 17) out.push(b.comment({ user: `u${i}`, at, postId: `post_${i % 50}`, text: `amei ${w}` }));
    else if (r < 18) out.push(b.reaction({ user: `u${i}`, at, emoji: '❤' }));
    else if (r < 19) out.push(b.follow({ user: `u${i}`, at }));
    else out.push(b.orderCreated({ user: `u${i}`, at, orderId: `o${i}`, total: 10 }));
  }
  return out;
}

export async function run(): Promise<void> {
  const index = buildIndex(workflows());
  const evts = events();
  let sink = 0;

  const baseline = () => {
    const t0 = performance.now();
    for (let p = 0; p < PASSES; p++) for (const e of evts) sink += e.type.length;
    return (PASSES * evts.length) / ((performance.now() - t0) / 1000);
  };
  const matching = () => {
    const t0 = performance.now();
    for (let p = 0; p < PASSES; p++) for (const e of evts) sink += matchEvent(index, e).length;
    return (PASSES * evts.length) / ((performance.now() - t0) / 1000);
  };

  baseline();
  matching(); // warm-up (JIT)
  const base: number[] = [];
  const match: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    base.push(baseline());
    match.push(matching());
  }
  let started = 0;
  for (const e of evts) started += matchEvent(index, e).length;

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(
    `workspace: ${index.activeWorkflows} active workflows; ${evts.length} events (60% messages, 15% postbacks, 10% comments, 15% other); ${ROUNDS} rounds x ${PASSES} passes`,
  );
  console.table([
    { loop: 'baseline (read event type)', 'decisions/s (median)': fmt(median(base)) },
    { loop: 'matchEvent (500 workflows)', 'decisions/s (median)': fmt(median(match)) },
  ]);
  console.log(
    `ratio baseline/matching: ${(median(base) / median(match)).toFixed(1)}x; starts per event: ${(started / evts.length).toFixed(2)}; (sink ${sink % 10})`,
  );
}

if (require.main === module)
  run().catch((err) => {
    console.error(err);
    process.exit(1);
  });
