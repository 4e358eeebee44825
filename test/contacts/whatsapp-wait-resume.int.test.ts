/**
 * A Wait for Reply on a WhatsApp contact that got merged with another id of
 * the same person (phone number and BSUID) resumes when the reply arrives
 * under the other id: the contacts and triggers functions on the emulators,
 * fed envelopes the real normalizer made from WhatsApp payloads.
 */
import { contactId, type Envelope } from '../../shared/envelope';
import { BSUID, NEW_BSUID, WA_USER, whatsapp, whatsappIds } from '../fixtures/normalize/whatsapp';
import { envelopeMaker, workspaceDoc } from './harness';
import { resumeStack, seedWaiting } from './wait-resume';
import { uniqueName } from '../helpers/names';

const EVENTS = uniqueName('wa-wait-events');
const EXECUTIONS = uniqueName('wa-wait-executions');
process.env.EVENTS_TOPIC = EVENTS;
process.env.EXECUTIONS_TOPIC = EXECUTIONS;
/* eslint-disable @typescript-eslint/no-require-imports */
require('../../functions/contacts');
const triggersEntry = require('../../functions/triggers') as typeof import('../../functions/triggers');
/* eslint-enable @typescript-eslint/no-require-imports */

const BLK = 'blk_wa';
const workspace = workspaceDoc;

const envelopesOf = envelopeMaker('whatsapp', BLK, '2024-03-31T10:20:00.000Z');

/** A later message of the same user: the fixture with another message id and time. */
const later = (body: unknown, id: string, ts: string) =>
  JSON.parse(
    JSON.stringify(body)
      .replace(/wamid\.[A-Z0-9]+/, id)
      .replace(/"timestamp":"\d+"/, `"timestamp":"${ts}"`),
  ) as unknown;

const waiting = (ws: string, user: string) =>
  seedWaiting(ws, user, {
    blockId: BLK,
    workflowId: 'wf_survey',
    stepId: 'ask_rating',
    triggerType: 'messaging.message.received',
    at: '2024-03-31T10:00:00.000Z',
  });

const stack = resumeStack({ events: EVENTS, executions: EXECUTIONS }, () => triggersEntry.service.close());
const resumesIn = (ws: string) => stack.resumesIn(ws);

describe('Wait for Reply across the ids of one WhatsApp user', () => {
  /** The phone-number contact (first seen) and the BSUID contact, merged into the first by a message naming both. */
  async function mergedPerson(ws: string): Promise<void> {
    for (const body of [whatsapp.text, whatsappIds.usernameText, whatsappIds.phoneAndBsuidText])
      for (const e of await envelopesOf(ws, body)) expect(await stack.contacts.deliver(e)).toBe(204);
    const redirect = (
      await workspace(ws)
        .collection('contacts')
        .doc(contactId(ws, BLK, BSUID))
        .get()
    ).data();
    expect(redirect).toMatchObject({ merged_into: contactId(ws, BLK, WA_USER) });
  }

  it.each([
    [
      'a wait on the surviving contact, a reply under the merged BSUID',
      WA_USER,
      () => later(whatsappIds.usernameText, 'wamid.R1', '1711880500'),
    ],
    [
      'a wait on the merged BSUID contact, a reply under the surviving phone number',
      BSUID,
      () => later(whatsapp.text, 'wamid.R2', '1711880500'),
    ],
  ])('%s resumes it, once under redelivery', async (_name, waitsOn, replyBody) => {
    const ws = uniqueName('ws');
    await mergedPerson(ws);
    const execution = await waiting(ws, waitsOn);
    const [reply] = await envelopesOf(ws, replyBody());
    for (const attempt of [1, 2]) expect(await stack.triggers.deliver(reply as Envelope, attempt)).toBe(204);

    const doc = (await workspace(ws).collection('executions').doc(execution).get()).data();
    expect(doc).toMatchObject({ status: 'resuming', resumed_by_event_id: reply?.id });
    const resumes = await resumesIn(ws);
    expect(new Set(resumes.map((r) => r.execution_id))).toEqual(new Set([execution]));
  });

  it("a wait on a user's old BSUID resumes on a reply under the new one once the identity change is applied", async () => {
    const ws = uniqueName('ws');
    for (const body of [whatsappIds.usernameText, whatsappIds.userIdChanged])
      for (const e of await envelopesOf(ws, body)) expect(await stack.contacts.deliver(e)).toBe(204);
    const execution = await waiting(ws, BSUID);
    const renamed = JSON.parse(
      JSON.stringify(later(whatsappIds.usernameText, 'wamid.R3', '1711880500'))
        .split(BSUID)
        .join(NEW_BSUID),
    );
    const [reply] = await envelopesOf(ws, renamed);
    expect(reply?.data).toMatchObject({ contact_id: contactId(ws, BLK, NEW_BSUID) });
    expect(await stack.triggers.deliver(reply as Envelope)).toBe(204);
    expect((await workspace(ws).collection('executions').doc(execution).get()).get('status')).toBe('resuming');
  });

  it('a reply of another person does not resume it', async () => {
    const ws = uniqueName('ws');
    await mergedPerson(ws);
    const execution = await waiting(ws, WA_USER);
    const stranger = JSON.parse(
      JSON.stringify(later(whatsapp.text, 'wamid.R4', '1711880500'))
        .split(WA_USER)
        .join('4917000000000'),
    );
    const [reply] = await envelopesOf(ws, stranger);
    expect(await stack.triggers.deliver(reply as Envelope)).toBe(204);
    expect((await workspace(ws).collection('executions').doc(execution).get()).get('status')).toBe('waiting');
  });
});
