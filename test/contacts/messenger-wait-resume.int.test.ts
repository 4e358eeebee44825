/**
 * A Wait for Reply on the Messenger contact a checkbox plugin's optin made
 * (keyed by its user_ref) resumes when the person replies under their PSID,
 * the reply naming the user_ref in prior_message: the contacts and triggers
 * functions on the emulators, fed envelopes the real normalizer made.
 */
import { contactId, conversationId, executionId, type Envelope } from '../../shared/envelope';
import { normalize } from '../../shared/normalize/normalize';
import { staticRouter } from '../../shared/normalize/router';
import { getFirestore } from '../../shared/runtime/gcp';
import type { ExecutionDoc, ExecutionRequest } from '../../shared/workflows/execution';
import { OTHER_USER, USER } from '../fixtures/normalize/messenger';
import { messengerIds, USER_REF } from '../fixtures/normalize/messenger-ids';
import { serve, tapTopic, type Served, type TopicTap } from './harness';
import { uniqueName } from '../helpers/names';

const EVENTS = uniqueName('fb-wait-events');
const EXECUTIONS = uniqueName('fb-wait-executions');
process.env.EVENTS_TOPIC = EVENTS;
process.env.EXECUTIONS_TOPIC = EXECUTIONS;
/* eslint-disable @typescript-eslint/no-require-imports */
require('../../functions/contacts');
const triggersEntry = require('../../functions/triggers') as typeof import('../../functions/triggers');
/* eslint-enable @typescript-eslint/no-require-imports */

const BLK = 'blk_fb';
const workspace = (ws: string) => getFirestore().collection('workspaces').doc(ws);

async function envelopesOf(ws: string, body: unknown): Promise<Envelope[]> {
  const result = await normalize(
    { platform: 'messenger', kind: 'webhook', body: JSON.stringify(body), receivedAt: '2024-03-31T10:30:00.000Z', requestId: 'req' },
    staticRouter({ workspaceId: ws, blockId: BLK }),
  );
  expect(result.rejections).toEqual([]);
  return result.envelopes;
}

/** An execution waiting for a reply of the contact (and its 1:1 conversation) `user` keys: the checkbox flow's message to the user_ref. */
async function waiting(ws: string, user: string): Promise<string> {
  const id = executionId(ws, 'wf_receipt', `evt_start_${user}`);
  const doc: ExecutionDoc = {
    execution_id: id,
    workflow_id: 'wf_receipt',
    workspace_id: ws,
    status: 'waiting',
    trigger_id: 't',
    trigger_event_id: `evt_start_${user}`,
    trigger_event_type: 'messaging.optin.received',
    contact_id: contactId(ws, BLK, user),
    conversation_id: conversationId(ws, BLK, user),
    start_published: true,
    waiting_for: {
      kind: 'reply',
      contact_id: contactId(ws, BLK, user),
      conversation_id: conversationId(ws, BLK, user),
      step_id: 'ask_receipt',
      intercept: true,
    },
    created_at: '2024-03-31T10:20:00.000Z',
    updated_at: '2024-03-31T10:20:00.000Z',
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

describe('Wait for Reply across the user_ref and the PSID of one Messenger person', () => {
  it("a wait on the optin's user_ref contact resumes on the reply under the PSID, once under redelivery", async () => {
    const ws = uniqueName('ws');
    for (const e of await envelopesOf(ws, messengerIds.checkboxOptin)) expect(await contacts.deliver(e)).toBe(204);
    const execution = await waiting(ws, USER_REF);
    const [reply] = await envelopesOf(ws, messengerIds.replyWithPrior);
    expect(reply?.data).toMatchObject({ contact_id: contactId(ws, BLK, USER) });
    expect(await contacts.deliver(reply as Envelope)).toBe(204);
    for (const attempt of [1, 2]) expect(await triggers.deliver(reply as Envelope, attempt)).toBe(204);

    const doc = (await workspace(ws).collection('executions').doc(execution).get()).data();
    expect(doc).toMatchObject({ status: 'resuming', resumed_by_event_id: reply?.id });
    expect(new Set((await resumesIn(ws)).map((r) => r.execution_id))).toEqual(new Set([execution]));
  });

  it('a reply of another person does not resume it', async () => {
    const ws = uniqueName('ws');
    for (const e of await envelopesOf(ws, messengerIds.checkboxOptin)) expect(await contacts.deliver(e)).toBe(204);
    const execution = await waiting(ws, USER_REF);
    const stranger = JSON.parse(
      JSON.stringify(messengerIds.replyWithPrior).split(USER).join(OTHER_USER).split(USER_REF).join('chk_other'),
    ) as unknown;
    const [reply] = await envelopesOf(ws, stranger);
    expect(await contacts.deliver(reply as Envelope)).toBe(204);
    expect(await triggers.deliver(reply as Envelope)).toBe(204);
    expect((await workspace(ws).collection('executions').doc(execution).get()).get('status')).toBe('waiting');
  });
});
