/**
 * A local fake of Meta's Graph API for the tests and the local stack (npm start) of the Block connection
 * (Messenger Pages, Instagram accounts through their Page, WhatsApp Business
 * Accounts): the endpoints connect uses, with the requests, answers and error
 * objects Graph documents, and Meta's side of webhooks for real:
 *
 *   GET    /{app-id}/subscriptions              app access token `{app-id}|{app-secret}`
 *   POST   /{app-id}/subscriptions              object, callback_url, verify_token, fields:
 *          performs the GET hub.mode=subscribe&hub.challenge=…&hub.verify_token=…
 *          against callback_url during the call, and refuses (#2200) unless the
 *          answer is 200 with the challenge as its body
 *   GET    /{page-id}?fields=id,name,instagram_business_account{id,username}
 *   GET    /{phone-number-id}?fields=id,display_phone_number,verified_name
 *   GET    /{waba-id}/phone_numbers
 *   POST|GET|DELETE /{page-id|waba-id}/subscribed_apps   (subscribed_fields for a Page)
 *
 *   deliver(object, payload)  POSTs a webhook to the object's callback URL,
 *                             signed with X-Hub-Signature-256 by the app secret
 *
 * Tokens are read from `Authorization: Bearer` or `access_token`; errors are
 * {"error":{"message","type":"OAuthException","code","error_subcode","fbtrace_id"}}.
 * Differences from Meta, on purpose: plain-http loopback callback URLs are
 * accepted, and any token we were given sees the nodes it was added with
 * (no permission model beyond that).
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import { FakeServer, jsonSender, readBody } from './server';

export interface FakePage {
  id: string;
  name: string;
  instagram?: { id: string; username: string };
}

export interface FakePhoneNumber {
  id: string;
  display_phone_number: string;
  verified_name: string;
}

export interface FakeWaba {
  id: string;
  phone_numbers: FakePhoneNumber[];
}

export interface GraphError {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  fbtrace_id?: string;
}

export interface FakeAppSubscription {
  object: string;
  callback_url: string;
  verify_token: string;
  fields: string[];
  active: boolean;
}

/** The Page fields /subscribed_apps takes (a subset of Graph's list: the messaging ones and feed). */
const PAGE_FIELDS = new Set([
  'feed',
  'messages',
  'message_echoes',
  'message_edits',
  'message_deliveries',
  'message_reads',
  'message_reactions',
  'messaging_postbacks',
  'messaging_referrals',
  'messaging_optins',
  'messaging_handovers',
  'standby',
  'name',
]);

const OBJECTS = new Set(['page', 'instagram', 'whatsapp_business_account', 'user', 'permissions']);

const fbtrace = () => randomBytes(8).toString('base64url');

export const graphErrors = {
  invalidToken: (): GraphError => ({
    message: 'Invalid OAuth access token - Cannot parse access token',
    type: 'OAuthException',
    code: 190,
  }),
  expiredToken: (): GraphError => ({
    message: 'Error validating access token: Session has expired on Tuesday, 01-Dec-26 10:00:00 PST.',
    type: 'OAuthException',
    code: 190,
    error_subcode: 463,
  }),
  unknownObject: (id: string, method = 'get'): GraphError => ({
    message: `Unsupported ${method} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    type: 'GraphMethodException',
    code: 100,
    error_subcode: 33,
  }),
  callbackVerificationFailed: (status: number): GraphError => ({
    message: `(#2200) Callback verification failed with the following errors: HTTP Status Code = ${status}; HTTP Message = ${http.STATUS_CODES[status] ?? 'Unknown'}`,
    type: 'OAuthException',
    code: 2200,
  }),
  unexpected: (): GraphError => ({
    message: 'An unexpected error has occurred. Please retry your request later.',
    type: 'OAuthException',
    code: 2,
  }),
};

interface Owner {
  pages: Set<string>;
  wabas: Set<string>;
}

export class FakeMetaGraph extends FakeServer {
  private readonly owners = new Map<string, Owner>();
  private readonly pages = new Map<string, FakePage>();
  private readonly wabas = new Map<string, FakeWaba>();
  private readonly phones = new Map<string, { waba: string; phone: FakePhoneNumber }>();
  private readonly subscriptions = new Map<string, FakeAppSubscription>();
  /** Page or WABA id → our app's subscribed fields there. */
  private readonly subscribedApps = new Map<string, string[]>();
  private readonly failures = new Map<string, Array<{ status: number; error: GraphError }>>();
  /** Every call, as `METHOD /path` with ids (never a token). */
  readonly calls: string[] = [];
  /** The outcome of every hub.challenge handshake the fake performed. */
  readonly handshakes: Array<{ object: string; status: number; echoed: boolean }> = [];
  /** The callback's answer to the last delivery. */
  lastAnswer: { status: number; body: string } | undefined;

  constructor(
    readonly appId: string,
    readonly appSecret: string,
  ) {
    super();
  }

  get appToken(): string {
    return `${this.appId}|${this.appSecret}`;
  }

  /** A Page (and its Instagram account) whose Page access token is `token`. */
  addPage(token: string, page: FakePage): void {
    this.pages.set(page.id, page);
    this.owner(token).pages.add(page.id);
  }

  /** A WhatsApp Business Account and its numbers, managed with `token`. */
  addWaba(token: string, waba: FakeWaba): void {
    this.wabas.set(waba.id, waba);
    for (const phone of waba.phone_numbers) this.phones.set(phone.id, { waba: waba.id, phone });
    this.owner(token).wabas.add(waba.id);
  }

  /** The token stops working (as when the user changes their password or removes the app). */
  revoke(token: string): void {
    this.owners.delete(token);
  }

  /** The next `METHOD edge` call fails with Graph's error, e.g. `POST subscribed_apps`, `POST subscriptions`, `GET node`. */
  failNext(key: string, error: GraphError, status = 400): void {
    this.failures.set(key, [...(this.failures.get(key) ?? []), { status, error }]);
  }

  subscription(object: string): FakeAppSubscription | undefined {
    return this.subscriptions.get(object);
  }

  subscribedFields(nodeId: string): string[] | undefined {
    return this.subscribedApps.get(nodeId);
  }

  /** Drops a field from the app subscription (as an operator in the App Dashboard could). */
  removeAppField(object: string, field: string): void {
    const sub = this.subscriptions.get(object);
    if (sub) sub.fields = sub.fields.filter((f) => f !== field);
  }

  /**
   * Meta's delivery: POSTs `payload` to the object's callback URL (or `url`),
   * signed with the app secret (or `secret`).
   */
  async deliver(object: string, payload: object, override: { url?: string; secret?: string } = {}): Promise<number> {
    const url = override.url ?? this.subscriptions.get(object)?.callback_url;
    if (!url) throw new Error(`the app has no ${object} subscription to deliver to`);
    const body = JSON.stringify(payload);
    const signature =
      'sha256=' +
      createHmac('sha256', override.secret ?? this.appSecret)
        .update(body)
        .digest('hex');
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body,
    });
    this.lastAnswer = { status: res.status, body: await res.text() };
    return res.status;
  }

  private owner(token: string): Owner {
    let owner = this.owners.get(token);
    if (!owner) this.owners.set(token, (owner = { pages: new Set(), wabas: new Set() }));
    return owner;
  }

  private async handshake(sub: { object: string; callback_url: string; verify_token: string }): Promise<GraphError | undefined> {
    const challenge = String(randomBytes(4).readUInt32BE() % 1_000_000_000);
    const url = new URL(sub.callback_url);
    url.searchParams.set('hub.mode', 'subscribe');
    url.searchParams.set('hub.challenge', challenge);
    url.searchParams.set('hub.verify_token', sub.verify_token);
    let status = 0;
    let echoed = false;
    try {
      const res = await fetch(url, { method: 'GET' });
      status = res.status;
      echoed = res.status === 200 && (await res.text()) === challenge;
    } catch {
      // Unreachable: status stays 0.
    }
    this.handshakes.push({ object: sub.object, status, echoed });
    if (echoed) return undefined;
    return status === 0
      ? {
          message:
            "(#2200) Callback verification failed with the following errors: curl_errno = 7; curl_error = Couldn't connect to server",
          type: 'OAuthException',
          code: 2200,
        }
      : graphErrors.callbackVerificationFailed(status === 200 ? 200 : status);
  }

  protected async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = jsonSender(res, 'application/json; charset=UTF-8');
    const fail = (error: GraphError, status = 400) => send(status, { error: { ...error, fbtrace_id: error.fbtrace_id ?? fbtrace() } });
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    if (raw) {
      if ((req.headers['content-type'] ?? '').includes('json')) {
        try {
          for (const [k, v] of Object.entries(JSON.parse(raw) as Record<string, unknown>))
            params[k] = Array.isArray(v) ? v.join(',') : String(v);
        } catch {
          return fail({ message: 'Invalid JSON in the request body', type: 'OAuthException', code: 100 });
        }
      } else Object.assign(params, Object.fromEntries(new URLSearchParams(raw)));
    }
    const auth = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = auth ?? params.access_token;
    delete params.access_token;
    const method = req.method ?? 'GET';
    // Graph's paths may carry a version: /v23.0/{id}/{edge}
    const parts = url.pathname.split('/').filter((p) => p && !/^v[0-9]+\.[0-9]+$/.test(p));
    const [id, edge] = parts as [string | undefined, string | undefined];
    this.calls.push(`${method} /${parts.join('/')}`);
    if (!id || parts.length > 2) return fail({ message: 'Unknown path components', type: 'OAuthException', code: 2500 });
    if (!token)
      return fail({
        message: 'An active access token must be used to query information about the current user.',
        type: 'OAuthException',
        code: 2500,
      });
    const injected = this.failures.get(`${method} ${edge ?? 'node'}`)?.shift();
    if (injected) return fail(injected.error, injected.status);

    // The app's own edges: the app access token only.
    if (id === this.appId) {
      if (token !== this.appToken) return fail({ message: 'Invalid OAuth access token signature.', type: 'OAuthException', code: 190 });
      if (edge !== 'subscriptions') return fail(graphErrors.unknownObject(id, method.toLowerCase()));
      if (method === 'GET') {
        return send(200, {
          data: [...this.subscriptions.values()].map((s) => ({
            object: s.object,
            callback_url: s.callback_url,
            active: s.active,
            fields: s.fields.map((name) => ({ name, version: 'v23.0' })),
          })),
        });
      }
      if (method === 'POST') {
        const { object, callback_url, verify_token, fields } = params;
        if (!object || !OBJECTS.has(object))
          return fail({
            message: '(#100) Param object must be one of {page, instagram, whatsapp_business_account, user, permissions}',
            type: 'OAuthException',
            code: 100,
          });
        if (!callback_url || !/^https?:\/\//.test(callback_url))
          return fail({ message: '(#100) Param callback_url must be a valid URL', type: 'OAuthException', code: 100 });
        if (!verify_token) return fail({ message: '(#100) The parameter verify_token is required', type: 'OAuthException', code: 100 });
        if (!fields) return fail({ message: '(#100) The parameter fields is required', type: 'OAuthException', code: 100 });
        const refused = await this.handshake({ object, callback_url, verify_token });
        if (refused) return fail(refused);
        const before = this.subscriptions.get(object);
        const keep = before && before.callback_url === callback_url ? before.fields : [];
        this.subscriptions.set(object, {
          object,
          callback_url,
          verify_token,
          fields: [...new Set([...keep, ...fields.split(',').map((f) => f.trim())])],
          active: true,
        });
        return send(200, { success: true });
      }
      if (method === 'DELETE') {
        if (params.object) this.subscriptions.delete(params.object);
        else this.subscriptions.clear();
        return send(200, { success: true });
      }
      return fail({ message: `Unsupported ${method.toLowerCase()} request.`, type: 'GraphMethodException', code: 100 });
    }

    const owner = this.owners.get(token);
    if (!owner)
      return fail(
        token.includes('|')
          ? { message: 'Invalid OAuth access token signature.', type: 'OAuthException', code: 190 }
          : graphErrors.invalidToken(),
      );
    const page = owner.pages.has(id) ? this.pages.get(id) : undefined;
    const waba = owner.wabas.has(id) ? this.wabas.get(id) : undefined;
    const phoneOf = this.phones.get(id);
    const phone = phoneOf && owner.wabas.has(phoneOf.waba) ? phoneOf.phone : undefined;
    const nodeExists = page ?? waba ?? phone;
    if (!nodeExists) return fail(graphErrors.unknownObject(id, method.toLowerCase()));

    if (edge === undefined) {
      if (method !== 'GET') return fail(graphErrors.unknownObject(id, method.toLowerCase()));
      const fields = (params.fields ?? 'id,name').split(/,(?![^{]*})/).map((f) => f.trim());
      const out: Record<string, unknown> = { id };
      if (page) {
        if (fields.includes('name')) out.name = page.name;
        if (fields.some((f) => f.startsWith('instagram_business_account')) && page.instagram) {
          out.instagram_business_account = { id: page.instagram.id, username: page.instagram.username };
        }
      } else if (phone) {
        if (fields.includes('display_phone_number')) out.display_phone_number = phone.display_phone_number;
        if (fields.includes('verified_name')) out.verified_name = phone.verified_name;
      }
      return send(200, out);
    }

    if (edge === 'phone_numbers' && waba && method === 'GET') {
      return send(200, { data: waba.phone_numbers.map((p) => ({ ...p })), paging: { cursors: { before: 'QVFI', after: 'QVFI' } } });
    }

    if (edge === 'subscribed_apps' && (page || waba)) {
      const nodeId = id;
      if (method === 'GET') {
        const fields = this.subscribedApps.get(nodeId);
        if (!fields) return send(200, { data: [] });
        return send(200, {
          data: [
            page
              ? { category: 'Business', link: 'https://convotic.example/', name: 'Convotic', id: this.appId, subscribed_fields: fields }
              : { whatsapp_business_api_data: { id: this.appId, link: 'https://convotic.example/', name: 'Convotic' } },
          ],
        });
      }
      if (method === 'POST') {
        if (page) {
          const fields = (params.subscribed_fields ?? '')
            .split(',')
            .map((f) => f.trim())
            .filter(Boolean);
          if (!fields.length)
            return fail({ message: '(#100) The parameter subscribed_fields is required', type: 'OAuthException', code: 100 });
          const bad = fields.find((f) => !PAGE_FIELDS.has(f));
          if (bad)
            return fail({
              message: `(#100) Param subscribed_fields[${fields.indexOf(bad)}] must be one of {${[...PAGE_FIELDS].join(', ')}} - got "${bad}"`,
              type: 'OAuthException',
              code: 100,
            });
          this.subscribedApps.set(nodeId, fields);
        } else this.subscribedApps.set(nodeId, []);
        return send(200, { success: true });
      }
      if (method === 'DELETE') {
        this.subscribedApps.delete(nodeId);
        return send(200, { success: true });
      }
    }
    return fail(graphErrors.unknownObject(id, method.toLowerCase()));
  }
}
