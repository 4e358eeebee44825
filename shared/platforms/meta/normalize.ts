/**
 * The Meta normalizer adapter shared by Messenger (`object: page`) and Instagram
 * (`object: instagram`): split `entry[]` into its `messaging[]`, `standby[]`
 * and `changes[]` items, name the accounts that route them, and map each.
 */
import type { Platform } from '..';
import { isObj, optId, type Json } from '../../platform-kit/fields';
import type { BatchItem, NormalizerAdapter, SplitResult } from '../../platform-kit/types';
import { mapChange } from './normalize-changes';
import { mapMessaging } from './normalize-messaging';

interface MetaItemContext {
  entry: Json;
  list: 'messaging' | 'standby' | 'changes';
}

const LISTS = ['messaging', 'standby', 'changes'] as const;

export function metaNormalizer(platform: Extract<Platform, 'instagram' | 'messenger'>): NormalizerAdapter {
  /**
   * The entry id is the page (Messenger) or Instagram account id. Instagram
   * messaging items also name the account as recipient (inbound) or, for an
   * echo only, as sender, which routes them when the entry id is an
   * app-scoped one. The sender of anything else is the contact: routing by it
   * would hand a DM that business account B sent to an account we do not
   * serve to B's workspace, as an inbound message from B itself.
   * Messenger routes by the entry id alone: it is always the page.
   */
  const accountsOf = (entry: Json, item: Json, list: MetaItemContext['list']): string[] => {
    const ids = [optId(entry, 'id')];
    if (platform === 'instagram' && list !== 'changes') {
      ids.push(isObj(item.message) && item.message.is_echo === true ? optId(item, 'sender.id') : optId(item, 'recipient.id'));
    }
    return [...new Set(ids.filter((id): id is string => !!id))];
  };

  return {
    platform,
    split(body): SplitResult | string {
      if (!isObj(body)) return 'the body is not a JSON object';
      if (!Array.isArray(body.entry)) return 'the body has no entry[] array (not a Meta webhook payload)';
      const result: SplitResult = { items: [], problems: [] };
      body.entry.forEach((entry, i) => {
        const ebase = `entry[${i}]`;
        if (!isObj(entry)) {
          result.problems.push({ reason: 'invalid', path: ebase, detail: `${ebase} is not an object`, raw: entry });
          return;
        }
        let any = false;
        for (const list of LISTS) {
          const items = entry[list];
          if (items === undefined) continue;
          any = true;
          if (!Array.isArray(items)) {
            result.problems.push({ reason: 'invalid', path: `${ebase}.${list}`, detail: `${ebase}.${list} is not an array`, raw: items });
            continue;
          }
          items.forEach((raw, j) => {
            const path = `${ebase}.${list}[${j}]`;
            if (!isObj(raw)) {
              result.problems.push({ reason: 'invalid', path, detail: `${path} is not an object`, raw });
              return;
            }
            const accounts = accountsOf(entry, raw, list);
            if (accounts.length === 0) {
              result.problems.push({ reason: 'invalid', path, detail: `${ebase}.id is missing`, raw });
              return;
            }
            const item: BatchItem = { path, raw, accounts, context: { entry, list } satisfies MetaItemContext };
            result.items.push(item);
          });
        }
        if (!any) {
          result.problems.push({
            reason: 'unsupported',
            path: ebase,
            detail: `${ebase} has none of messaging[], standby[], changes[]`,
            raw: entry,
          });
        }
      });
      return result;
    },
    map(item, ctx) {
      const { entry, list } = item.context as MetaItemContext;
      const raw = item.raw as Json;
      return list === 'changes'
        ? mapChange(raw, item.path, ctx, entry)
        : mapMessaging(raw, item.path, ctx, { entry, standby: list === 'standby' });
    },
  };
}
