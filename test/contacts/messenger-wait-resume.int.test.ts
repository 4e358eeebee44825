/**
 * A Wait for Reply on the Messenger contact a checkbox plugin's optin made
 * (keyed by its user_ref) resumes when the person replies under their PSID,
 * the reply naming the user_ref in prior_message: the contacts and triggers
 * functions on the emulators, fed envelopes the real normalizer made.
 */
import { contactId, type Envelope } from '../../shared/envelope';
import { OTHER_USER, USER } from '../fixtures/normalize/messenger';
import { messengerIds, USER_REF } from '../fixtures/normalize/messenger-ids';
import { envelopeMaker, workspaceDoc } from './harness';
import { resumeStack, seedWaiting } from './wait-resume';
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
const workspace = workspaceDoc;

const envelopesOf = envelopeMaker('messenger', BLK, '2024-03-31T10:30:00.000Z');

const waiting = (ws: string, user: string) =>
  seedWaiting(ws, user, {
    blockId: BLK,
    workflowId: 'wf_receipt',
    stepId: 'ask_receipt',
    triggerType: 'messaging.optin.received',
    at: '2024-03-31T10:20:00.000Z',
  });

const stack = resumeStack({ events: EVENTS, executions: EXECUTIONS }, () => triggersEntry.service.close());
const resumesIn = (ws: string) => stack.resumesIn(ws);

describe('Wait for Reply across the user_ref and the PSID of one Messenger person', () => {
  it("a wait on the optin's user_ref contact resumes on the reply under the PSID, once under redelivery", async () => {
    const ws = uniqueName('ws');
    for (const e of await envelopesOf(ws, messengerIds.checkboxOptin)) expect(await stack.contacts.deliver(e)).toBe(204);
    const execution = await waiting(ws, USER_REF);
    const [reply] = await envelopesOf(ws, messengerIds.replyWithPrior);
    expect(reply?.data).toMatchObject({ contact_id: contactId(ws, BLK, USER) });
    expect(await stack.contacts.deliver(reply as Envelope)).toBe(204);
    for (const attempt of [1, 2]) expect(await stack.triggers.deliver(reply as Envelope, attempt)).toBe(204);

    const doc = (await workspace(ws).collection('executions').doc(execution).get()).data();
    expect(doc).toMatchObject({ status: 'resuming', resumed_by_event_id: reply?.id });
    expect(new Set((await resumesIn(ws)).map((r) => r.execution_id))).toEqual(new Set([execution]));
  });

  it('a reply of another person does not resume it', async () => {
    const ws = uniqueName('ws');
    for (const e of await envelopesOf(ws, messengerIds.checkboxOptin)) expect(await stack.contacts.deliver(e)).toBe(204);
    const execution = await waiting(ws, USER_REF);
    const stranger = JSON.parse(
      JSON.stringify(messengerIds.replyWithPrior).split(USER).join(OTHER_USER).split(USER_REF).join('chk_other'),
    ) as unknown;
    const [reply] = await envelopesOf(ws, stranger);
    expect(await stack.contacts.deliver(reply as Envelope)).toBe(204);
    expect(await stack.triggers.deliver(reply as Envelope)).toBe(204);
    expect((await workspace(ws).collection('executions').doc(execution).get()).get('status')).toBe('waiting');
  });
});
