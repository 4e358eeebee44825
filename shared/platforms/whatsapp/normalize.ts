/**
 * The WhatsApp Cloud API adapter. A body is `entry[].changes[]`; each change's
 * `value` names the phone number (`metadata.phone_number_id`, which routes it)
 * and carries `messages[]`, `statuses[]`, `errors[]` (field `messages`) or
 * `message_echoes[]` (field `smb_message_echoes` / `message_echoes`).
 * Other fields (template status, quality, account updates...) are unsupported.
 */
import { isObj, optId, optText, type Json } from '../../platform-kit/fields';
import type { NormalizerAdapter, SplitResult } from '../../platform-kit/types';
import { mapEcho, mapInbound } from './normalize-messages';
import { mapChangeError, mapStatus } from './normalize-statuses';

const LISTS = ['messages', 'statuses', 'errors', 'message_echoes'] as const;
type List = (typeof LISTS)[number];

interface WaItemContext {
  entry: Json;
  value: Json;
  list: List;
  phoneNumberId: string;
}

const FIELDS = new Set(['messages', 'smb_message_echoes', 'message_echoes']);

/** The webhook fields the adapter maps: what connect subscribes the app to (./connect.ts). */
export const MAPPED_FIELDS: readonly string[] = [...FIELDS];

export const normalizer: NormalizerAdapter = {
  platform: 'whatsapp',
  split(body): SplitResult | string {
    if (!isObj(body)) return 'the body is not a JSON object';
    if (!Array.isArray(body.entry)) return 'the body has no entry[] array (not a WhatsApp webhook payload)';
    const result: SplitResult = { items: [], problems: [] };
    const problem = (reason: 'invalid' | 'unsupported', path: string, detail: string, raw: unknown) =>
      result.problems.push({ reason, path, detail, raw });
    body.entry.forEach((entry, i) => {
      const ebase = `entry[${i}]`;
      if (!isObj(entry) || !Array.isArray(entry.changes)) {
        problem('invalid', ebase, isObj(entry) ? `${ebase}.changes is missing` : `${ebase} is not an object`, entry);
        return;
      }
      entry.changes.forEach((change, j) => {
        const cbase = `${ebase}.changes[${j}]`;
        const field = optText(change, 'field');
        const value = isObj(change) ? change.value : undefined;
        if (!isObj(value)) return problem('invalid', cbase, `${cbase}.value is missing`, change);
        if (field !== undefined && !FIELDS.has(field))
          return problem('unsupported', cbase, `event kind changes.${field} has no mapping`, change);
        const phoneNumberId = optId(value, 'metadata.phone_number_id');
        if (!phoneNumberId) return problem('invalid', cbase, `${cbase}.value.metadata.phone_number_id is missing`, change);
        let any = false;
        for (const list of LISTS) {
          const items = value[list];
          if (items === undefined) continue;
          any = true;
          if (!Array.isArray(items)) {
            problem('invalid', `${cbase}.value.${list}`, `${cbase}.value.${list} is not an array`, items);
            continue;
          }
          items.forEach((raw, k) => {
            const path = `${cbase}.value.${list}[${k}]`;
            if (!isObj(raw)) return problem('invalid', path, `${path} is not an object`, raw);
            result.items.push({
              path,
              raw,
              accounts: [phoneNumberId],
              context: { entry, value, list, phoneNumberId } satisfies WaItemContext,
            });
          });
        }
        if (!any) problem('unsupported', cbase, `${cbase}.value has none of ${LISTS.join('[], ')}[]`, change);
      });
    });
    return result;
  },
  map(item, ctx) {
    const { entry, value, list, phoneNumberId } = item.context as WaItemContext;
    const raw = item.raw as Json;
    switch (list) {
      case 'messages':
        return mapInbound(raw, item.path, ctx, value, entry);
      case 'message_echoes':
        return mapEcho(raw, item.path, ctx, value, entry);
      case 'statuses':
        return mapStatus(raw, item.path, ctx, value, entry);
      case 'errors':
        return mapChangeError(raw, item.path, ctx, phoneNumberId);
    }
  },
};
