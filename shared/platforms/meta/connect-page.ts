/**
 * The Page-based connectors: a Messenger Page, or the Instagram professional
 * account linked to a Page (Instagram Messaging through the Messenger
 * Platform, Facebook Login). Both are a Page id and a Page access token; both
 * opt in with POST /{page-id}/subscribed_apps. See ./connect.ts for the steps.
 *
 * The webhook fields come from the normalizer's own tables (MESSAGING_KINDS,
 * CHANGE_FIELDS, the `standby` list): each kind it maps names the field(s)
 * that deliver it, per platform, in FIELDS_BY_KIND below; a kind the
 * normalizer gains without an entry here fails at load (one source).
 */
import { ConnectError, type Connector } from '../../platform-kit/connect';
import type { MetaPlatform } from './edge';
import { CHANGE_FIELDS } from './normalize-changes';
import { MESSAGING_KINDS } from './normalize-messaging';
import { credentialsObject, graph, metaSubscription, requireId, requireToken, type MetaObject } from './connect';

export interface PageCredentials {
  page_id: string;
  access_token: string;
}

type PagePlatform = Exclude<MetaPlatform, 'whatsapp'>;

/**
 * Normalizer kind → the webhook fields delivering it, per platform (Messenger
 * Page fields; Instagram app fields). Keys: messaging kinds, `changes.<field>`,
 * and `standby`. An empty list: that platform does not send the kind.
 */
const FIELDS_BY_KIND: Record<string, Record<PagePlatform, readonly string[]>> = {
  message: { messenger: ['messages', 'message_echoes'], instagram: ['messages'] },
  message_edit: { messenger: ['message_edits'], instagram: ['message_edit'] },
  delivery: { messenger: ['message_deliveries'], instagram: [] },
  read: { messenger: ['message_reads'], instagram: ['messaging_seen'] },
  reaction: { messenger: ['message_reactions'], instagram: ['message_reactions'] },
  postback: { messenger: ['messaging_postbacks'], instagram: ['messaging_postbacks'] },
  referral: { messenger: ['messaging_referrals'], instagram: ['messaging_referral'] },
  optin: { messenger: ['messaging_optins'], instagram: ['messaging_optins'] },
  standby: { messenger: ['standby'], instagram: ['standby'] },
  'changes.comments': { messenger: [], instagram: ['comments'] },
  'changes.feed': { messenger: ['feed'], instagram: [] },
};

/** The normalizer's kinds, as FIELDS_BY_KIND keys. */
export const MAPPED_META_KINDS: readonly string[] = [...MESSAGING_KINDS, 'standby', ...CHANGE_FIELDS.map((f) => `changes.${f}`)];

function fieldsFor(platform: PagePlatform, kinds: readonly string[]): string[] {
  return [
    ...new Set(
      kinds.flatMap((kind) => {
        const entry = FIELDS_BY_KIND[kind];
        if (!entry) throw new Error(`the Meta normalizer maps ${kind}, which has no webhook field in FIELDS_BY_KIND`);
        return entry[platform];
      }),
    ),
  ];
}

/** The webhook fields we subscribe for each platform: every field delivering a kind the normalizer maps. */
export const MAPPED_FIELDS: Record<PagePlatform, readonly string[]> = {
  messenger: fieldsFor('messenger', MAPPED_META_KINDS),
  instagram: fieldsFor('instagram', MAPPED_META_KINDS),
};

/** The Page's subscribed fields: Messenger's all; Instagram's the Page fields of the kinds Instagram sends. */
export const PAGE_FIELDS: Record<PagePlatform, readonly string[]> = {
  messenger: MAPPED_FIELDS.messenger,
  instagram: fieldsFor(
    'messenger',
    MAPPED_META_KINDS.filter((k) => FIELDS_BY_KIND[k]!.instagram.length > 0),
  ).filter((f) => f !== 'feed'),
};

const OBJECT: Record<PagePlatform, MetaObject> = { messenger: 'page', instagram: 'instagram' };

interface PageNode {
  id: string;
  name?: string;
  instagram_business_account?: { id: string; username?: string };
}

export function pageConnector(platform: PagePlatform): Connector<PageCredentials> {
  const object = OBJECT[platform];
  const appFields = MAPPED_FIELDS[platform];
  const pageFields = PAGE_FIELDS[platform];

  return {
    platform,
    verifiesWebhook: true,
    ...metaSubscription<PageCredentials>({ object, node: (c) => c.page_id, appFields, nodeFields: pageFields }),

    parseCredentials(input) {
      const obj = credentialsObject(input);
      const unknown = Object.keys(obj).filter((k) => k !== 'page_id' && k !== 'access_token');
      if (unknown.length)
        throw new ConnectError('bad_credentials', `unknown credentials field(s) ${unknown.join(', ')}; expected page_id, access_token`);
      return { page_id: requireId(obj, 'page_id'), access_token: requireToken(obj) };
    },

    async identify(ctx, { page_id, access_token }) {
      const fields = platform === 'instagram' ? 'id,name,instagram_business_account{id,username}' : 'id,name';
      const page = await graph<PageNode>(ctx, 'GET', page_id, access_token, { fields });
      if (page.id !== page_id) throw new ConnectError('bad_credentials', 'the access token belongs to another Page');
      if (platform === 'messenger') return { accountId: page.id, ...(page.name ? { name: page.name } : {}) };
      const ig = page.instagram_business_account;
      if (!ig?.id) throw new ConnectError('bad_credentials', 'the Page has no Instagram professional account linked');
      return { accountId: ig.id, ...(ig.username ? { name: `@${ig.username}` } : page.name ? { name: page.name } : {}) };
    },

    newSecrets({ page_id, access_token }) {
      // No per-Block webhook secret at Meta: the app secret signs. The token is kept for disconnect and check.
      return { meta_page_id: page_id, meta_access_token: access_token };
    },

    storedCredentials(secrets) {
      const { meta_page_id: page_id, meta_access_token: access_token } = secrets;
      return typeof page_id === 'string' && typeof access_token === 'string' ? { page_id, access_token } : undefined;
    },
  };
}
