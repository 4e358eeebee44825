/**
 * The event log's contact filter names a person: a WhatsApp user known first
 * by phone number, then as a username user (BSUID only), then by both, has
 * events under two contact ids, merged into one contact; listing the log by
 * either id finds all of them. Contacts function and log on the emulators.
 */
import { contactId } from '../../shared/envelope';
import { fromEnvelope } from '../../shared/event-log/entry';
import { writeEntry } from '../../shared/event-log/writer';
import { parseFilter } from '../../shared/events-api/filters';
import { listPage } from '../../shared/events-api/query';
import { getFirestore } from '../../shared/runtime/gcp';
import { BSUID, WA_USER, whatsapp, whatsappIds } from '../fixtures/normalize/whatsapp';
import { envelopeMaker, serve, tapTopic, type Served } from './harness';
import { uniqueName } from '../helpers/names';

const EVENTS = uniqueName('wa-log-events');
process.env.EVENTS_TOPIC = EVENTS;
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/contacts');

const BLK = 'blk_wa';

const envelopesOf = envelopeMaker('whatsapp', BLK, '2024-03-31T10:20:00.000Z');

let contacts: Served;
beforeAll(async () => {
  await tapTopic(EVENTS); // the topic contacts publishes to
  contacts = await serve('contacts');
});
afterAll(async () => {
  await contacts?.close();
});

/** The ids of the log entries the contact filter lists, paging two at a time. */
async function listedFor(ws: string, contact: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listPage(getFirestore(), ws, parseFilter({ contact_id: contact }), 2, cursor);
    ids.push(...page.docs.map((d) => d.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

describe("the event log's contact filter for a WhatsApp username user", () => {
  it('lists the events under every id of the person by the surviving contact, and by the merged one', async () => {
    const ws = uniqueName('ws');
    const other = await envelopesOf(
      ws,
      JSON.parse(JSON.stringify(whatsapp.text).split(WA_USER).join('4917000000000').replace('wamid.TEXT1', 'wamid.OTHER')),
    );
    const events = [
      ...(await envelopesOf(ws, whatsapp.text)), // before BSUIDs: the phone-number contact, seen first
      ...(await envelopesOf(ws, whatsappIds.usernameText)), // the username user: the BSUID contact
      ...(await envelopesOf(ws, whatsappIds.usernameStatus)),
      ...(await envelopesOf(ws, whatsappIds.phoneAndBsuidText)), // names both: merged
    ];
    for (const e of [...events, ...other]) {
      expect(await contacts.deliver(e)).toBe(204);
      await writeEntry(getFirestore(), fromEnvelope(e, { now: new Date(), retentionDays: 30 }));
    }
    const survivor = contactId(ws, BLK, WA_USER);
    const people = (await getFirestore().collection('workspaces').doc(ws).collection('contacts').get()).docs;
    expect(people.find((d) => d.id === contactId(ws, BLK, BSUID))?.get('merged_into')).toBe(survivor);

    const expected = events.map((e) => e.id).sort();
    expect((await listedFor(ws, survivor)).sort()).toEqual(expected);
    expect((await listedFor(ws, contactId(ws, BLK, BSUID))).sort()).toEqual(expected);
    // Someone else's contact lists only theirs.
    expect(await listedFor(ws, contactId(ws, BLK, '4917000000000'))).toEqual(other.map((e) => e.id));
  });
});
