/**
 * A Wait for Reply resumes on a reply that names the waited-for id beside its
 * own (WhatsApp: the phone number next to the BSUID; Messenger: the user_ref
 * in prior_message next to the PSID) even when triggers handles the reply
 * before contacts has written anything about that person: no redirect yet.
 * Redelivered and in shuffled orders of the two consumers, it resumes once;
 * another person's reply never resumes it. The contacts and triggers
 * functions on the emulators, fed envelopes the real normalizer made.
 */
import type { Envelope } from '../../shared/envelope';
import { OTHER_USER, USER } from '../fixtures/normalize/messenger';
import { messengerIds, USER_REF } from '../fixtures/normalize/messenger-ids';
import { BSUID, WA_USER, whatsappIds } from '../fixtures/normalize/whatsapp';
import { envelopeMaker, shuffled, workspaceDoc, type Served } from './harness';
import { resumeStack, seedWaiting } from './wait-resume';
import { uniqueName } from '../helpers/names';

const EVENTS = uniqueName('early-wait-events');
const EXECUTIONS = uniqueName('early-wait-executions');
process.env.EVENTS_TOPIC = EVENTS;
process.env.EXECUTIONS_TOPIC = EXECUTIONS;
/* eslint-disable @typescript-eslint/no-require-imports */
require('../../functions/contacts');
const triggersEntry = require('../../functions/triggers') as typeof import('../../functions/triggers');
/* eslint-enable @typescript-eslint/no-require-imports */

const WA_BLK = 'blk_wa';
const FB_BLK = 'blk_fb';
const whatsappEnvelopes = envelopeMaker('whatsapp', WA_BLK, '2024-03-31T10:20:00.000Z');
const messengerEnvelopes = envelopeMaker('messenger', FB_BLK, '2024-03-31T10:30:00.000Z');

const stack = resumeStack({ events: EVENTS, executions: EXECUTIONS }, () => triggersEntry.service.close());

/** A wait on the contact the user's phone number keys: the person wrote before BSUIDs, and nothing of theirs is stored. */
const waitingOnPhone = (ws: string) =>
  seedWaiting(ws, WA_USER, {
    blockId: WA_BLK,
    workflowId: 'wf_survey',
    stepId: 'ask_rating',
    triggerType: 'messaging.message.received',
    at: '2024-03-31T10:00:00.000Z',
  });

/** A wait on the contact a checkbox plugin's user_ref keys, the optin not stored. */
const waitingOnUserRef = (ws: string) =>
  seedWaiting(ws, USER_REF, {
    blockId: FB_BLK,
    workflowId: 'wf_receipt',
    stepId: 'ask_receipt',
    triggerType: 'messaging.optin.received',
    at: '2024-03-31T10:20:00.000Z',
  });

const executionDoc = async (ws: string, id: string) => (await workspaceDoc(ws).collection('executions').doc(id).get()).data();
const nothingStored = async (ws: string, collection: string) => (await workspaceDoc(ws).collection(collection).get()).empty;

async function onlyEnvelope(envelopes: Promise<Envelope[]>): Promise<Envelope> {
  const list = await envelopes;
  expect(list).toHaveLength(1);
  return list[0] as Envelope;
}

/** The resume requests published for the workspace: every one for `execution`, all with one resume id. */
async function resumedOnce(ws: string, execution: string): Promise<void> {
  const requests = await stack.resumesIn(ws);
  expect(requests.length).toBeGreaterThan(0);
  expect(new Set(requests.map((r) => r.execution_id))).toEqual(new Set([execution]));
  expect(new Set(requests.map((r) => r.request_id))).toHaveProperty('size', 1);
}

describe('Wait for Reply on a reply triggers sees before contacts has tied its ids', () => {
  it('WhatsApp: a wait on the phone-number contact resumes on a reply naming the BSUID and the number, once under redelivery', async () => {
    const ws = uniqueName('ws');
    const execution = await waitingOnPhone(ws);
    const reply = await onlyEnvelope(whatsappEnvelopes(ws, whatsappIds.phoneAndBsuidText));
    expect(reply.data).toMatchObject({ contact: { platform_user_id: BSUID, phone: WA_USER } });

    for (const attempt of [1, 2]) expect(await stack.triggers.deliver(reply, attempt)).toBe(204);
    expect(await nothingStored(ws, 'contacts')).toBe(true);
    expect(await executionDoc(ws, execution)).toMatchObject({ status: 'resuming', resumed_by_event_id: reply.id });

    // Contacts catches up (the redirect from the number to the BSUID contact), then a late redelivery: nothing more.
    expect(await stack.contacts.deliver(reply)).toBe(204);
    expect(await stack.triggers.deliver(reply, 3)).toBe(204);
    expect(await executionDoc(ws, execution)).toMatchObject({ status: 'resuming', resumed_by_event_id: reply.id });
    await resumedOnce(ws, execution);
  });

  it('Messenger: a wait on the user_ref contact resumes on the PSID reply naming it in prior_message, once under redelivery', async () => {
    const ws = uniqueName('ws');
    const execution = await waitingOnUserRef(ws);
    const reply = await onlyEnvelope(messengerEnvelopes(ws, messengerIds.replyWithPrior));
    expect(reply.metadata.platform_detail).toMatchObject({ user_ref: USER_REF });

    for (const attempt of [1, 2]) expect(await stack.triggers.deliver(reply, attempt)).toBe(204);
    expect(await nothingStored(ws, 'contacts')).toBe(true);
    expect(await executionDoc(ws, execution)).toMatchObject({ status: 'resuming', resumed_by_event_id: reply.id });
    await resumedOnce(ws, execution);
  });

  // Two messages of one person, each delivered twice to contacts and to triggers, in orders that put triggers before,
  // between and after contacts (seeds 5 and 6: the reply naming both ids reaches triggers first; 2 and 3: the
  // username-only one resumes). The message naming the number resumes the wait wherever it comes; the username-only one
  // names the BSUID alone, so it can find the wait only once contacts has tied the number to that BSUID.
  it.each([1, 2, 3, 4, 5, 6])(
    'WhatsApp, shuffled deliveries (seed %i): the first message of the person that can resumes it, once',
    async (seed) => {
      const ws = uniqueName('ws');
      const execution = await waitingOnPhone(ws);
      const usernameOnly = await onlyEnvelope(whatsappEnvelopes(ws, whatsappIds.usernameText));
      const bothIds = await onlyEnvelope(whatsappEnvelopes(ws, whatsappIds.phoneAndBsuidText));
      const consumers: Served[] = [stack.contacts, stack.triggers];
      const deliveries = shuffled(
        [usernameOnly, bothIds].flatMap((envelope) =>
          consumers.flatMap((consumer) => [
            { envelope, consumer },
            { envelope, consumer },
          ]),
        ),
        seed,
      );
      const attempts = new Map<string, number>();
      let tied = false;
      let resumer: string | undefined;
      for (const { envelope, consumer } of deliveries) {
        const key = `${consumers.indexOf(consumer)}:${envelope.id}`;
        attempts.set(key, (attempts.get(key) ?? 0) + 1);
        expect(await consumer.deliver(envelope, attempts.get(key))).toBe(204);
        if (consumer === stack.contacts && envelope === bothIds) tied = true;
        if (consumer !== stack.triggers) continue;
        if (envelope === bothIds || tied) resumer ??= envelope.id;
        // Right after each triggers delivery: resumed by the first one that can, not by a later redelivery.
        expect((await executionDoc(ws, execution))?.status).toBe(resumer ? 'resuming' : 'waiting');
      }

      expect(await executionDoc(ws, execution)).toMatchObject({ status: 'resuming', resumed_by_event_id: resumer });
      await resumedOnce(ws, execution);
    },
  );

  it("WhatsApp: another person's reply naming their own BSUID and number does not resume it, before contacts or after", async () => {
    const ws = uniqueName('ws');
    const execution = await waitingOnPhone(ws);
    const stranger = JSON.parse(
      JSON.stringify(whatsappIds.phoneAndBsuidText).split(WA_USER).join('4917000000000').split(BSUID).join('DE.7000000000000001'),
    ) as unknown;
    const reply = await onlyEnvelope(whatsappEnvelopes(ws, stranger));
    expect(await stack.triggers.deliver(reply)).toBe(204);
    expect(await stack.contacts.deliver(reply)).toBe(204);
    expect(await stack.triggers.deliver(reply, 2)).toBe(204);
    expect(await executionDoc(ws, execution)).toMatchObject({ status: 'waiting' });
    expect(await stack.resumesIn(ws)).toEqual([]);
  });

  it("Messenger: another person's reply naming another user_ref does not resume it", async () => {
    const ws = uniqueName('ws');
    const execution = await waitingOnUserRef(ws);
    const stranger = JSON.parse(
      JSON.stringify(messengerIds.replyWithPrior).split(USER).join(OTHER_USER).split(USER_REF).join('chk_other'),
    ) as unknown;
    const reply = await onlyEnvelope(messengerEnvelopes(ws, stranger));
    expect(await stack.triggers.deliver(reply)).toBe(204);
    expect(await executionDoc(ws, execution)).toMatchObject({ status: 'waiting' });
    expect(await stack.resumesIn(ws)).toEqual([]);
  });
});
