/**
 * crm.contact.merged is derived: the contacts subscriber publishes it when it
 * merges two contacts of one person, so the events API refuses to take it
 * from a caller, saying who derives it (the refusal's reason is what the
 * API's `request refused` log line carries).
 */
import { ApiError } from '../../shared/events-api/http';
import { DERIVED_EVENT_TYPES, INTERNAL_EVENT_TYPES, internalEnvelope } from '../../shared/events-api/internal-events';

const NOW = new Date('2026-04-01T10:00:00.000Z');
const merged = { type: 'crm.contact.merged', data: { contact_id: 'ct_survivor', merged_contact_ids: ['ct_merged'] } };

function refusal(body: unknown): ApiError {
  try {
    internalEnvelope('ws_1', body, undefined, NOW);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('the body was accepted');
}

describe('crm.contact.merged through the events API', () => {
  it('is refused even when well-formed, naming the contacts subscriber as the one that derives it', () => {
    const err = refusal(merged);
    expect(err).toMatchObject({ status: 400, code: 'type_not_allowed' });
    expect(err.message).toMatch(
      /^crm\.contact\.merged cannot be posted: it is derived by the contacts subscriber when it merges two contacts/,
    );
  });

  it('every type the contacts and triggers subscribers derive is refused with its own reason, none of them is postable', () => {
    const derived = ['crm.contact.created', 'crm.contact.updated', 'crm.contact.merged', 'messaging.conversation.created'];
    expect(Object.keys(DERIVED_EVENT_TYPES)).toEqual(expect.arrayContaining([...derived, 'automation.workflow.started']));
    for (const type of Object.keys(DERIVED_EVENT_TYPES)) {
      expect(INTERNAL_EVENT_TYPES).not.toContain(type);
      expect(refusal({ type, data: {} }).message).toContain(
        `${type} cannot be posted: it is derived by ${DERIVED_EVENT_TYPES[type as 'crm.contact.merged']}`,
      );
    }
  });

  it('a platform type keeps the general reason; a name that is no own key (constructor) is not mistaken for a derived type', () => {
    expect(refusal({ type: 'messaging.message.received', data: {} }).message).toContain(
      'only the normalizer and pipeline consumers emit it',
    );
    expect(refusal({ type: 'constructor', data: {} }).message).toContain('constructor cannot be posted: only the normalizer');
  });
});
