/**
 * The in-memory workflow index of each workspace, kept fresh by a Firestore
 * snapshot listener on its active workflows: the first event of a workspace
 * waits for the initial snapshot, every later one reads memory, and a change
 * to a workflow reaches the index within the listener's latency. Matching
 * therefore never queries Firestore per event or per workflow.
 *
 * Listeners are bounded (least recently used workspaces are dropped) so an
 * instance serving many workspaces does not hold unbounded listeners. An
 * invalid workflow document is skipped with a WARNING, never a crash.
 */
import type { Firestore } from '@google-cloud/firestore';
import type { Logger } from '../runtime/log';
import { parseWorkflow, type WorkflowRecord } from '../workflows/model';
import { buildIndex, type WorkspaceIndex } from './compile';

interface Entry {
  ready: Promise<WorkspaceIndex>;
  index: WorkspaceIndex | undefined;
  /** Snapshots applied so far (tests wait on it to see a change land). */
  version: number;
  /** Stops the listener and rejects `ready` if no snapshot came (a no-op on a settled `ready`). */
  close: (reason: Error) => void;
}

/** Why a `get()` failed: its workspace's listener was dropped before the first snapshot. */
export class WorkflowListenerDropped extends Error {
  override readonly name = 'WorkflowListenerDropped';
  constructor(
    readonly workspaceId: string,
    why: string,
  ) {
    super(`the workflow listener of ${workspaceId} was ${why} before its first snapshot`);
  }
}

export interface WorkflowIndexCache {
  get(workspaceId: string): Promise<WorkspaceIndex>;
  /** Snapshots applied for the workspace (0 until the first). */
  version(workspaceId: string): number;
  close(): void;
}

export function workflowIndexCache(db: Firestore, log: Logger, maxWorkspaces = 1000): WorkflowIndexCache {
  const entries = new Map<string, Entry>();

  const drop = (workspaceId: string, why: string) => {
    const entry = entries.get(workspaceId);
    entries.delete(workspaceId);
    // Without a snapshot its `ready` would never settle: whoever awaits it fails now (the event is nacked and retried).
    entry?.close(new WorkflowListenerDropped(workspaceId, why));
  };

  function subscribe(workspaceId: string): Entry {
    let resolve!: (index: WorkspaceIndex) => void;
    let reject!: (err: Error) => void;
    const ready = new Promise<WorkspaceIndex>((res, rej) => ((resolve = res), (reject = rej)));
    const entry: Entry = { ready, index: undefined, version: 0, close: () => {} };
    const unsubscribe = db
      .collection('workspaces')
      .doc(workspaceId)
      .collection('workflows')
      .where('status', '==', 'active')
      .onSnapshot(
        (snapshot) => {
          const workflows: WorkflowRecord[] = [];
          for (const doc of snapshot.docs) {
            const parsed = parseWorkflow(doc.id, doc.data());
            if (parsed.ok) workflows.push(parsed.workflow);
            else log.warn('invalid workflow document skipped', { workspace_id: workspaceId, workflow_id: doc.id, errors: parsed.errors });
          }
          entry.index = buildIndex(workflows, (p) =>
            log.warn('workflow with an invalid trigger skipped', {
              workspace_id: workspaceId,
              workflow_id: p.workflow_id,
              errors: p.errors,
            }),
          );
          entry.version++;
          resolve(entry.index);
        },
        (err) => {
          // The next event re-subscribes; until the first snapshot, the event fails and Pub/Sub retries it.
          log.error('workflow listener failed', { workspace_id: workspaceId, error: err });
          if (entries.get(workspaceId) === entry) entries.delete(workspaceId);
          reject(err);
        },
      );
    entry.close = (reason) => {
      unsubscribe();
      reject(reason);
    };
    ready.catch(() => {});
    return entry;
  }

  return {
    async get(workspaceId) {
      let entry = entries.get(workspaceId);
      if (entry) {
        // Map order is insertion order: re-inserting marks it most recently used.
        entries.delete(workspaceId);
        entries.set(workspaceId, entry);
      } else {
        entry = subscribe(workspaceId);
        entries.set(workspaceId, entry);
        while (entries.size > maxWorkspaces) drop(entries.keys().next().value as string, 'evicted (least recently used)');
      }
      return entry.index ?? entry.ready;
    },
    version: (workspaceId) => entries.get(workspaceId)?.version ?? 0,
    close() {
      for (const id of [...entries.keys()]) drop(id, 'closed');
    },
  };
}
