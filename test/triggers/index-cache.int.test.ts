/**
 * The workflow index cache (shared/triggers/index-cache.ts) on the Firestore
 * emulator: a workspace whose listener is dropped before its first snapshot
 * (evicted as least recently used, or the cache closed) fails the callers
 * waiting for it, so their event is nacked and retried instead of hanging.
 */
import { getFirestore } from '../../shared/runtime/gcp';
import { createLogger } from '../../shared/runtime/log';
import type { WorkspaceIndex } from '../../shared/triggers/compile';
import { WorkflowListenerDropped, workflowIndexCache } from '../../shared/triggers/index-cache';
import { uniqueName } from '../helpers/names';

const log = createLogger({}, { level: 'SILENT' });
/** The workflows an index holds, by id. */
const workflowIds = (index: WorkspaceIndex) => [...new Set([...index.byType.values()].flat().map((t) => t.workflowId))];
const putWorkflow = (ws: string, id: string) =>
  getFirestore()
    .collection('workspaces')
    .doc(ws)
    .collection('workflows')
    .doc(id)
    .set({ name: id, status: 'active', triggers: [{ id: 'f', kind: 'follow' }] });

describe('workflow index cache', () => {
  it('rejects a get() whose workspace is evicted before its first snapshot, and serves it again afterwards', async () => {
    const [first, second] = [uniqueName('ws'), uniqueName('ws')];
    await Promise.all([putWorkflow(first, 'wf_1'), putWorkflow(second, 'wf_2')]);
    const cache = workflowIndexCache(getFirestore(), log, 1);
    try {
      // Both listeners start at once; the second evicts the first, whose snapshot cannot have come yet.
      const waiting = cache.get(first);
      const evicting = cache.get(second);
      await expect(waiting).rejects.toBeInstanceOf(WorkflowListenerDropped);
      await expect(waiting).rejects.toThrow(/evicted/);
      expect(workflowIds(await evicting)).toEqual(['wf_2']);

      // A later event of the evicted workspace subscribes again.
      expect(workflowIds(await cache.get(first))).toEqual(['wf_1']);
    } finally {
      cache.close();
    }
  }, 15_000);

  it('rejects a get() still waiting when the cache is closed', async () => {
    const ws = uniqueName('ws');
    const cache = workflowIndexCache(getFirestore(), log, 10);
    const waiting = cache.get(ws);
    cache.close();
    await expect(waiting).rejects.toThrow(/closed/);
  }, 15_000);
});
