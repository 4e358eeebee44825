/**
 * Writes the demo workspace (scripts/lib/demo.ts) into Firestore: one Block per
 * platform with its local secrets, and the demo Workflows. Idempotent: every
 * write is a set of a fixed document, so seeding twice leaves the same state.
 */
import { saveBlock, type BlockStores } from '../../shared/contracts/blocks';
import { DEMO_BLOCKS, DEMO_WORKSPACE_ID } from './demo';
import { DEMO_WORKFLOWS } from './demo-workflows';

export interface SeedResult {
  workspaceId: string;
  blockIds: string[];
  workflowIds: string[];
}

export async function seedDemo(stores: BlockStores): Promise<SeedResult> {
  const db = stores.registry;
  const blockIds: string[] = [];
  for (const { block, secrets } of Object.values(DEMO_BLOCKS)) {
    await saveBlock(stores, block, secrets);
    blockIds.push(block.block_id);
  }
  const workflows = db.collection('workspaces').doc(DEMO_WORKSPACE_ID).collection('workflows');
  const batch = db.batch();
  for (const { id, ...workflow } of DEMO_WORKFLOWS) batch.set(workflows.doc(id), workflow);
  await batch.commit();
  return { workspaceId: DEMO_WORKSPACE_ID, blockIds, workflowIds: DEMO_WORKFLOWS.map((w) => w.id) };
}
