/**
 * A Wait for Reply on a WhatsApp contact that got merged with another id of
 * the same person (phone number and BSUID) resumes when the reply arrives
 * under the other id: the contacts and triggers functions on the emulators,
 * fed envelopes the real normalizer made from WhatsApp payloads.
 */
import { contactId, conversationId, executionId, type Envelope } from '../../shared/envelope';
import { normalize } from '../../shared/normalize/normalize';
import { staticRouter } from '../../shared/normalize/router';
import { getFirestore } from '../../shared/runtime/gcp';
import type { ExecutionDoc, ExecutionRequest } from '../../shared/workflows/execution';
import { BSUID, NEW_BSUID, WA_USER, whatsapp, whatsappIds } from '../fixtures/normalize/whatsapp';
import { serve, tapTopic, type Served, type TopicTap } from './harness';
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
const workspace = (ws: string) => getFirestore().collection('workspaces').doc(ws);

async function envelopesOf(ws: string, body: unknown): Promise<Envelope[]> {
  const result = await normalize(
    { platform: 'whatsapp', kind: 'webhook', body: JSON.stringify(body), receivedAt: '2024-03-31T10:20:00.000Z', requestId: 'req' },
    staticRouter({ workspaceId: ws, blockId: BLK }),
  );
  expect(result.rejections).toEqual([]);
  return result.envelopes;
}

/** A later message of the same user: the fixture with another message id and time. */
const later = (body: unknown, id: string, ts: string) =>
  JSON.parse(
    JSON.stringify(body)
      .replace(/wamid\.[A-Z0-9]+/, id)
      .replace(/"timestamp":"\d+"/, `"timestamp":"${ts}"`),
  ) as unknown;

/** An execution waiting for a reply of the contact (and its 1:1 conversation) `user` keys. */
async function waiting(ws: string, user: string): Promise<string> {
  const id = executionId(ws, 'wf_survey', `evt_start_${user}`);
  const doc: ExecutionDoc = {
    execution_id: id,
    workflow_id: 'wf_survey',
    workspace_id: ws,
    status: 'waiting',
    trigger_id: 't',
    trigger_event_id: `evt_start_${user}`,
    trigger_event_type: 'messaging.message.received',
    contact_id: contactId(ws, BLK, user),
    conversation_id: conversationId(ws, BLK, user),
    start_published: true,
    waiting_for: {
      kind: 'reply',
      contact_id: contactId(ws, BLK, user),
      conversation_id: conversationId(ws, BLK, user),
      step_id: 'ask_rating',
      intercept: true,
    },
    created_at: '2024-03-31T10:00:00.000Z',
    updated_at: '2024-03-31T10:00:00.000Z',
  };
  await workspace(ws).collection('executions').doc(id).set(doc);
  return id;
}

let requests: TopicTap<ExecutionRequest>;
let contacts: Served;
let triggers: Served;
beforeAll(async () => {
  [requests] = await Promise.all([tapTopic<ExecutionRequest>(EXECUTIONS), tapTopic<Envelope>(EVENTS)]);
  [contacts, triggers] = await Promise.all([serve('contacts'), serve('triggers')]);
});
afterAll(async () => {
  await Promise.all([contacts?.close(), triggers?.close()]);
  triggersEntry.service.close();
});

const resumesIn = async (ws: string) =>
  (await requests.drain()).map((m) => m.data).filter((r) => r.workspace_id === ws && r.kind === 'resume');

describe('Wait for Reply across the ids of one WhatsApp user', () => {
  /** The phone-number contact (first seen) and the BSUID contact, merged into the first by a message naming both. */
  async function mergedPerson(ws: string): Promise<void> {
    for (const body of [whatsapp.text, whatsappIds.usernameText, whatsappIds.phoneAndBsuidText])
      for (const e of await envelopesOf(ws, body)) expect(await contacts.deliver(e)).toBe(204);
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
    for (const attempt of [1, 2]) expect(await triggers.deliver(reply as Envelope, attempt)).toBe(204);

    const doc = (await workspace(ws).collection('executions').doc(execution).get()).data();
    expect(doc).toMatchObject({ status: 'resuming', resumed_by_event_id: reply?.id });
    const resumes = await resumesIn(ws);
    expect(new Set(resumes.map((r) => r.execution_id))).toEqual(new Set([execution]));
  });

  it("a wait on a user's old BSUID resumes on a reply under the new one once the identity change is applied", async () => {
    const ws = uniqueName('ws');
    for (const body of [whatsappIds.usernameText, whatsappIds.userIdChanged])
      for (const e of await envelopesOf(ws, body)) expect(await contacts.deliver(e)).toBe(204);
    const execution = await waiting(ws, BSUID);
    const renamed = JSON.parse(
      JSON.stringify(later(whatsappIds.usernameText, 'wamid.R3', '1711880500'))
        .split(BSUID)
        .join(NEW_BSUID),
    );
    const [reply] = await envelopesOf(ws, renamed);
    expect(reply?.data).toMatchObject({ contact_id: contactId(ws, BLK, NEW_BSUID) });
    expect(await triggers.deliver(reply as Envelope)).toBe(204);
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
    expect(await triggers.deliver(reply as Envelope)).toBe(204);
    expect((await workspace(ws).collection('executions').doc(execution).get()).get('status')).toBe('waiting');
  });
});
