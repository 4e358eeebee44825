/**
 * Connecting a WhatsApp Business phone number: the WABA id, the phone
 * number id and a token of the business (a system user's). The Block is the
 * phone number (account_id = phone_number_id, which routes deliveries:
 * `value.metadata.phone_number_id`); the subscription is the WABA's.
 * See ../meta/connect.ts for the steps.
 *
 *   identify   GET /{phone-number-id} (display number, verified name), and
 *              GET /{waba-id}/phone_numbers lists it: it belongs to the WABA
 *   register   the app's `whatsapp_business_account` subscription with the
 *              fields the normalizer maps (MAPPED_FIELDS, one source), then
 *              POST /{waba-id}/subscribed_apps
 *   confirm    the app subscription at our callback; GET /{waba-id}/subscribed_apps lists our app
 *   unregister DELETE /{waba-id}/subscribed_apps
 */
import { ConnectError, type Connector } from '../../platform-kit/connect';
import { credentialsObject, graph, metaSubscription, requireId, requireToken } from '../meta/connect';
import { MAPPED_FIELDS } from './normalize';

export interface WhatsAppCredentials {
  waba_id: string;
  phone_number_id: string;
  access_token: string;
}

interface PhoneNumberNode {
  id: string;
  display_phone_number?: string;
  verified_name?: string;
}

const KEYS = ['waba_id', 'phone_number_id', 'access_token'];

export const whatsappConnector: Connector<WhatsAppCredentials> = {
  platform: 'whatsapp',
  verifiesWebhook: true,
  ...metaSubscription<WhatsAppCredentials>({
    object: 'whatsapp_business_account',
    node: (c) => c.waba_id,
    appFields: MAPPED_FIELDS,
    nodeFields: undefined,
  }),

  parseCredentials(input) {
    const obj = credentialsObject(input);
    const unknown = Object.keys(obj).filter((k) => !KEYS.includes(k));
    if (unknown.length)
      throw new ConnectError('bad_credentials', `unknown credentials field(s) ${unknown.join(', ')}; expected ${KEYS.join(', ')}`);
    return { waba_id: requireId(obj, 'waba_id'), phone_number_id: requireId(obj, 'phone_number_id'), access_token: requireToken(obj) };
  },

  async identify(ctx, { waba_id, phone_number_id, access_token }) {
    const phone = await graph<PhoneNumberNode>(ctx, 'GET', phone_number_id, access_token, {
      fields: 'id,display_phone_number,verified_name',
    });
    const numbers = await graph<{ data?: Array<{ id: string }> }>(ctx, 'GET', `${waba_id}/phone_numbers`, access_token, { fields: 'id' });
    if (phone.id !== phone_number_id || !(numbers.data ?? []).some((n) => n.id === phone_number_id)) {
      throw new ConnectError('bad_credentials', 'the phone number does not belong to the WhatsApp Business Account');
    }
    const name = phone.display_phone_number ?? phone.verified_name;
    return { accountId: phone.id, ...(name ? { name } : {}) };
  },

  newSecrets({ waba_id, phone_number_id, access_token }) {
    // No per-Block webhook secret at Meta: the app secret signs. The token is kept for disconnect and check.
    return { meta_waba_id: waba_id, meta_phone_number_id: phone_number_id, meta_access_token: access_token };
  },

  storedCredentials(secrets) {
    const { meta_waba_id: waba_id, meta_access_token: access_token, meta_phone_number_id } = secrets;
    if (typeof waba_id !== 'string' || typeof access_token !== 'string') return undefined;
    return { waba_id, access_token, phone_number_id: typeof meta_phone_number_id === 'string' ? meta_phone_number_id : '' };
  },
};
