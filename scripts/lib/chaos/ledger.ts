/**
 * How `npm run chaos` counts, from Firestore alone, for the bodies a scenario
 * sent: which acknowledged webhooks reached the log, and which effects were
 * doubled.
 *
 * Reached the log: every entry the normalizer makes of the body (computed here
 * with normalize() and the scenario's Blocks, publishing nothing; ids are
 * deterministic) was written by the log writer with a final status (`success`
 * or `failed` for an event, `rejected` for an item), in its workspace's log or
 * in unrouted_events. Ten identical bodies (a redelivery storm) are ten
 * acknowledged webhooks with the same entries.
 *
 * Duplicated, for each contact the bodies name: entries of
 * messaging.message.received beyond the distinct events sent, executions
 * beyond one per message where the workspace has Workflows (the demo's
 * keyword or fallback Workflow starts for every inbound message), more than one
 * contact per sender or more than one conversation per contact.
 */
import { createHash } from 'node:crypto';
import type { DocumentReference, Firestore } from '@google-cloud/firestore';
import type { Envelope } from '../../../shared/envelope';
import { normalize } from '../../../shared/normalize/normalize';
import type { Router } from '../../../shared/normalize/router';
import type { Route } from '../../../shared/platform-kit/types';

export interface Expected {
  refs: DocumentReference[];
  messages: Envelope[];
}

const FINAL = new Set(['success', 'failed', 'rejected']);

/** Routes by the accounts the chaos stack connected (the registry's answer, without reading it). */
export function mapRouter(accounts: Record<string, Route>): Router {
  const byBlock = new Map(Object.values(accounts).map((r) => [r.blockId, r]));
  return {
    byAccounts: (_platform, ids) => ids.map((id) => accounts[id]).find(Boolean),
    byBlockId: (id) => byBlock.get(id),
  };
}

export class Ledger {
  private readonly cache = new Map<string, Promise<Expected>>();

  constructor(
    private readonly db: Firestore,
    private readonly router: Router,
  ) {}

  /** The log entries a Messenger body must leave, and its message events. */
  expected(body: Buffer): Promise<Expected> {
    const key = createHash('sha256').update(body).digest('hex');
    let hit = this.cache.get(key);
    if (!hit) {
      hit = normalize({ platform: 'messenger', kind: 'webhook', body }, this.router).then((out) => ({
        refs: [
          ...out.envelopes.map((e) => this.entry(e.workspace_id, e.id)),
          ...out.rejections.map((r) => this.entry(r.workspace_id ?? null, r.id)),
        ],
        messages: out.envelopes.filter((e) => e.type === 'messaging.message.received'),
      }));
      this.cache.set(key, hit);
    }
    return hit;
  }

  private entry(ws: string | null, id: string): DocumentReference {
    return ws ? this.db.collection('workspaces').doc(ws).collection('event_log').doc(id) : this.db.collection('unrouted_events').doc(id);
  }

  /** How many of the entries `body` must leave are written with a final status, of how many. */
  async progress(body: Buffer): Promise<{ done: number; total: number }> {
    const { refs } = await this.expected(body);
    let done = 0;
    for (let i = 0; i < refs.length; i += 300) {
      const snaps = await this.db.getAll(...refs.slice(i, i + 300), { fieldMask: ['kind', 'status'] });
      done += snaps.filter((s) => s.exists && s.get('kind') !== undefined && FINAL.has(s.get('status') as string)).length;
    }
    return { done, total: refs.length };
  }

  /** Doubled effects of the messages in `bodies` (see the header), 0 when there are none. */
  async duplicated(bodies: Buffer[], executionsPerMessage: (workspaceId: string) => number): Promise<number> {
    const perContact = new Map<string, { ws: string; events: Set<string>; sender: string }>();
    for (const body of new Set(bodies)) {
      for (const e of (await this.expected(body)).messages) {
        const data = e.data as { contact_id: string; contact?: { platform_user_id?: string } };
        const c = perContact.get(data.contact_id) ?? {
          ws: e.workspace_id,
          events: new Set<string>(),
          sender: data.contact?.platform_user_id ?? '',
        };
        c.events.add(e.id);
        perContact.set(data.contact_id, c);
      }
    }
    let extra = 0;
    for (const [contactId, c] of perContact) {
      const ws = this.db.collection('workspaces').doc(c.ws);
      const [logged, executions, contacts, conversations] = await Promise.all([
        ws.collection('event_log').where('contact_id', '==', contactId).get(),
        ws.collection('executions').where('contact_id', '==', contactId).get(),
        c.sender ? ws.collection('contacts').where('platform_user_id', '==', c.sender).get() : undefined,
        ws.collection('conversations').where('contact_id', '==', contactId).get(),
      ]);
      const received = logged.docs.filter((d) => d.get('type') === 'messaging.message.received' && d.get('kind') !== undefined);
      extra += Math.max(0, received.length - c.events.size);
      extra += Math.max(0, executions.size - c.events.size * executionsPerMessage(c.ws));
      extra += Math.max(0, (contacts?.docs.filter((d) => !d.get('merged_into')).length ?? 0) - 1);
      extra += Math.max(0, conversations.docs.filter((d) => !d.get('merged_into')).length - 1);
    }
    return extra;
  }
}
