import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import {
  EVENT_TYPE_NAMES,
  EXTENSION_EVENT_TYPES,
  SPEC_EVENT_TYPES,
  assertEnvelope,
  contactId,
  conversationId,
  envelopeJsonSchema,
  eventId,
  messageId,
  validateEnvelope,
  EnvelopeValidationError,
  MAX_CAUSATION_CHAIN,
  type Envelope,
} from '../../shared/envelope';
import { outdated } from '../../scripts/write-schema';
import fc from 'fast-check';
import { FIXTURES, mutate, paths, run, type Path } from '../normalize/support';

/** The 35 types of the product docs (spec/webhook-events.md), by domain. */
const SPEC_TYPES = [
  'messaging.message.received',
  'messaging.message.sent',
  'messaging.message.delivered',
  'messaging.message.read',
  'messaging.message.failed',
  'messaging.conversation.created',
  'messaging.conversation.closed',
  'messaging.comment.created',
  'messaging.story_reply.received',
  'messaging.reaction.added',
  'messaging.reaction.removed',
  'messaging.follow',
  'messaging.unfollow',
  'messaging.postback',
  'commerce.order.created',
  'commerce.order.updated',
  'commerce.order.fulfilled',
  'commerce.order.cancelled',
  'commerce.cart.abandoned',
  'crm.contact.created',
  'crm.contact.updated',
  'crm.contact.merged',
  'crm.deal.created',
  'crm.deal.stage_changed',
  'automation.workflow.started',
  'automation.workflow.completed',
  'automation.workflow.failed',
  'automation.workflow.paused',
  'platform.block.connected',
  'platform.block.disconnected',
  'platform.block.error',
  'platform.webhook.verified',
  'ptm.notification.sent',
  'ptm.notification.delivered',
  'ptm.notification.clicked',
];

function received(): Envelope {
  return {
    id: eventId({ platform: 'instagram', blockId: 'blk_1', type: 'messaging.message.received', rawId: 'mid.1' }),
    type: 'messaging.message.received',
    workspace_id: 'ws_1',
    block_id: 'blk_1',
    platform: 'instagram',
    timestamp: '2026-03-31T10:15:30.000Z',
    data: {
      contact_id: contactId('ws_1', 'blk_1', '123'),
      conversation_id: conversationId('ws_1', 'blk_1', '123'),
      contact: { platform_user_id: '123' },
      conversation: { platform_conversation_id: '123', kind: 'direct' },
      message: {
        id: messageId('blk_1', 'mid.1'),
        platform_message_id: 'mid.1',
        direction: 'inbound',
        type: 'text',
        text: 'Hi',
        attachments: [],
      },
    },
    metadata: { raw_platform_event_id: 'mid.1' },
  };
}

/** A copy of received() as plain JSON with `edits` applied in order: an envelope its type forbids, for the validators to judge. */
function receivedWith(...edits: Array<{ set: Path; to: unknown } | { delete: Path }>): unknown {
  return edits.reduce<unknown>(
    (json, edit) => ('set' in edit ? mutate(json, edit.set, 'replace', edit.to) : mutate(json, edit.delete, 'delete', undefined)),
    received(),
  );
}

describe('event type registry', () => {
  it('has exactly the 35 types of the product docs marked as spec types', () => {
    expect([...SPEC_EVENT_TYPES].sort()).toEqual([...SPEC_TYPES].sort());
  });

  it('names every type domain.entity.action (extensions too)', () => {
    for (const type of EVENT_TYPE_NAMES) expect(type).toMatch(/^[a-z]+(\.[a-z_]+){1,2}$/);
    expect(EXTENSION_EVENT_TYPES.every((t) => !SPEC_TYPES.includes(t))).toBe(true);
  });
});

describe('envelope validation', () => {
  it('accepts a well-formed envelope', () => {
    expect(validateEnvelope(received())).toMatchObject({ ok: true });
  });

  it.each<[string, unknown, string]>([
    ['an unknown type', receivedWith({ set: ['type'], to: 'messaging.message.exploded' }), '/type'],
    ['a missing workspace', receivedWith({ delete: ['workspace_id'] }), '/'],
    ['a non-ISO timestamp', receivedWith({ set: ['timestamp'], to: 'yesterday' }), '/timestamp'],
    ['an unknown platform', receivedWith({ set: ['platform'], to: 'myspace' }), '/platform'],
    ['a top-level platform-specific field', receivedWith({ set: ['data', 'mid'], to: 'x' }), '/data'],
    ['a message without attachments array', receivedWith({ delete: ['data', 'message', 'attachments'] }), '/data/message'],
    ['a contact id of the wrong kind', receivedWith({ set: ['data', 'contact_id'], to: 'conv_abc' }), '/data/contact_id'],
    ['a missing raw platform event id', receivedWith({ set: ['metadata'], to: {} }), '/metadata'],
    [
      'a causation chain over its bound',
      receivedWith({
        set: ['metadata', 'caused_by_workflow_ids'],
        to: Array.from({ length: MAX_CAUSATION_CHAIN + 1 }, (_, i) => `wf_${i}`),
      }),
      '/metadata/caused_by_workflow_ids',
    ],
    [
      'an empty workflow id in the causation chain',
      receivedWith({ set: ['metadata', 'caused_by_workflow_ids'], to: ['wf_a', ''] }),
      '/metadata/caused_by_workflow_ids/1',
    ],
  ])('rejects %s and says where', (_name, envelope, path) => {
    const result = validateEnvelope(envelope);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.violations.map((v) => v.path)).toContain(path);
  });

  it('says what is wrong in words a reader of the rejection can act on', () => {
    const extra = receivedWith({ set: ['data', 'mid'], to: 'x' });
    expect(validateEnvelope(extra)).toEqual({
      ok: false,
      type: 'messaging.message.received',
      violations: [{ path: '/data', message: 'must NOT have additional properties (mid)' }],
    });
    const platform = receivedWith({ set: ['platform'], to: 'myspace' });
    const result = validateEnvelope(platform);
    expect(result.ok).toBe(false);
    // Every allowed value is named (the published schema's union, branch by branch).
    if (!result.ok) {
      expect(result.violations.filter((v) => v.path === '/platform').map((v) => v.message)).toEqual(
        expect.arrayContaining([
          'must be equal to constant ({"allowedValue":"instagram"})',
          'must be equal to constant ({"allowedValue":"telegram"})',
          'must match a schema in anyOf',
        ]),
      );
    }
  });

  it.each<[string, unknown, string | undefined]>([
    ['null', null, undefined],
    ['a number as type', { type: 42 }, undefined],
    ['an unknown type', { ...received(), type: 'messaging.message.exploded' }, 'messaging.message.exploded'],
  ])('answers %s with the type list, never a throw', (_name, value, type) => {
    expect(validateEnvelope(value)).toEqual({
      ok: false,
      type,
      violations: [{ path: '/type', message: `must be one of the ${EVENT_TYPE_NAMES.length} event types` }],
    });
  });

  it('throws from assertEnvelope, naming the type and each violation', () => {
    expect(assertEnvelope(received())).toMatchObject({ type: 'messaging.message.received' });
    const envelope = received();
    envelope.timestamp = 'yesterday';
    expect(() => assertEnvelope(envelope)).toThrow(EnvelopeValidationError);
    expect(() => assertEnvelope(envelope)).toThrow(
      /^invalid messaging\.message\.received envelope: \/timestamp must match format "date-time"$/,
    );
  });

  it.each([
    ['2024-01-31T10:15:30.000Z', true],
    ['2024-12-31T10:15:30.000Z', true],
    ['2024-04-01T10:15:30.000Z', true],
    ['2024-03-00T10:15:30.000Z', false],
    ['2024-00-10T10:15:30.000Z', false],
    ['2100-02-29T10:15:30.000Z', false],
    ['2000-02-29T10:15:30.000Z', true],
    ['2024-02-29T10:15:30.000Z', true],
    ['2023-02-29T10:15:30.000Z', false],
    ['2024-04-31T10:15:30.000Z', false],
    ['2024-13-01T10:15:30.000Z', false],
    ['2024-03-31T24:00:00.000Z', false],
    ['2024-03-31T10:15:30Z', true],
    ['2024-03-31T12:15:30+02:00', true],
    ['2016-12-31T23:59:60Z', true],
    ['2024-03-31T10:15:30', false],
    ['2024-03-31 10:15:30Z', true],
  ])('checks timestamp %s as RFC 3339 (valid: %s)', (timestamp, valid) => {
    const envelope = received();
    envelope.timestamp = timestamp;
    expect(validateEnvelope(envelope).ok).toBe(valid);
  });

  it('lists every violation of an envelope, not only the first', () => {
    const envelope = receivedWith(
      { set: ['platform'], to: 'myspace' },
      { set: ['data', 'contact_id'], to: 'conv_abc' },
      { set: ['metadata'], to: {} },
    );
    const result = validateEnvelope(envelope);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.violations.map((v) => v.path)).toEqual(expect.arrayContaining(['/platform', '/data/contact_id', '/metadata']));
  });

  it('accepts a causation chain up to its bound', () => {
    const envelope = received();
    envelope.metadata.caused_by_workflow_ids = Array.from({ length: MAX_CAUSATION_CHAIN }, (_, i) => `wf_${i}`);
    expect(validateEnvelope(envelope)).toMatchObject({ ok: true });
  });

  it('narrows data by type', () => {
    const envelope = assertEnvelope(received());
    if (envelope.type === 'messaging.message.received') {
      expect(envelope.data.message.text).toBe('Hi');
    } else {
      throw new Error('expected messaging.message.received');
    }
  });
});

describe('published JSON Schema', () => {
  it('is up to date with the registry (run npm run schema)', () => {
    expect(outdated()).toEqual([]);
  });

  it('validates the same envelopes as the per-type validators', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv, ['date-time']);
    const validate = ajv.compile(envelopeJsonSchema());
    expect(validate(received())).toBe(true);
    const bad = receivedWith({ set: ['data', 'message', 'direction'], to: 'sideways' });
    expect(validate(bad)).toBe(false);
  });

  it('decides every mutated real envelope exactly as the per-type validators do', async () => {
    // The per-type validators check a rewritten, faster form of each schema (shared/envelope/validate.ts);
    // whatever they accept or reject, the published schema must decide the same.
    const ajv = new Ajv2020({ strict: false, allErrors: false });
    addFormats(ajv, ['date-time']);
    const published = ajv.compile(envelopeJsonSchema());
    const envelopes: unknown[] = [received()];
    for (const [platform, body] of FIXTURES) envelopes.push(...(await run(platform, body)).envelopes);

    const replacement = fc.constantFrom<unknown>(
      undefined,
      '',
      ' ',
      'x',
      '\u{1F600}',
      0,
      -1,
      1.5,
      null,
      true,
      [],
      {},
      [''],
      'evt_abc',
      'ct_',
      'msg_x',
      'inbound',
      'text',
      'whatsapp',
      '2024-02-29T10:15:30.000Z',
      '2023-02-29T10:15:30.000Z',
      '2024-03-31T24:00:00Z',
      '2016-12-31T23:59:60Z',
      '2024-03-31T12:15:30+02:00',
    );
    const mutation = fc
      .nat({ max: envelopes.length - 1 })
      .chain((i) => fc.tuple(fc.constant(envelopes[i]), fc.constantFrom(...paths(envelopes[i]).filter((p) => p.length > 0)), replacement));

    let rejected = 0;
    fc.assert(
      fc.property(mutation, ([envelope, path, value]) => {
        const copy = mutate(envelope, path, value === undefined ? 'delete' : 'replace', value);
        const ours = validateEnvelope(copy).ok;
        if (!ours) rejected++;
        expect(ours).toBe(published(copy));
      }),
      { numRuns: 3000 },
    );
    expect(rejected).toBeGreaterThan(300); // the mutations do reach invalid envelopes
  });
});
