/**
 * The demo workspace's Workflows (shared/workflows/model.ts), chosen so that
 * the samples of `npm run send` visibly start executions:
 *
 *   wf_demo_pricing     keyword "price" (contains)  ← every platform's `text` sample
 *   wf_demo_get_started postback GET_STARTED        ← messenger/postback, line/postback,
 *                                                     telegram/callback_query, whatsapp/interactive
 *   wf_demo_welcome     follow                      ← line/follow, telegram/my_chat_member_member
 *   wf_demo_fallback    fallback                    ← any other inbound message (whatsapp/image,
 *                                                     line/sticker, line/image)
 */
import type { Workflow } from '../../shared/workflows/model';

export type DemoWorkflow = Workflow & { id: string };

export const DEMO_WORKFLOWS: DemoWorkflow[] = [
  {
    id: 'wf_demo_pricing',
    name: 'Demo: answer pricing questions',
    status: 'active',
    priority: 10,
    triggers: [{ id: 'kw_price', kind: 'message', keywords: [{ match: 'contains', value: 'price' }] }],
  },
  {
    id: 'wf_demo_get_started',
    name: 'Demo: Get Started button',
    status: 'active',
    triggers: [{ id: 'pb_get_started', kind: 'postback', payload: { match: 'equals', value: 'GET_STARTED' } }],
  },
  {
    id: 'wf_demo_welcome',
    name: 'Demo: welcome new followers',
    status: 'active',
    triggers: [{ id: 'follow', kind: 'follow' }],
  },
  {
    id: 'wf_demo_fallback',
    name: 'Demo: fallback reply',
    status: 'active',
    triggers: [{ id: 'fallback', kind: 'fallback' }],
  },
];
