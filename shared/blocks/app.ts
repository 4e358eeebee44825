/**
 * The blocks API: connect, disconnect, rotate and check a workspace's Blocks
 * (the Block connection service, ./service.ts). Private like the events-api:
 * in production only callers with Cloud Run invoker IAM reach it (the
 * dashboard backend, operators through `npm run blocks`), and their Google ID
 * token must name a caller of API_CALLERS allowed the workspace (`*` for
 * POST /checks, which Cloud Scheduler calls); locally (API_AUTH=off) it is open.
 *
 *   GET  /workspaces/{ws}/blocks                    list
 *   POST /workspaces/{ws}/blocks                    connect {platform, credentials, name?}: 201 new, 200 already connected
 *   GET  /workspaces/{ws}/blocks/{id}               show
 *   POST /workspaces/{ws}/blocks/{id}/disconnect    disconnect {force?}
 *   POST /workspaces/{ws}/blocks/{id}/rotate        new webhook secret (Telegram); LINE: {credentials: {channel_secret}}
 *   POST /workspaces/{ws}/blocks/{id}/check         the platform's view of the webhook; platform.block.error when wrong
 *   POST /checks                                    every connected Block of every workspace checked (Cloud Scheduler):
 *                                                   {checked, failing: [{workspace_id, block_id, platform, reason, ...}]}
 *
 * Errors are problem details (events-api/http.ts): {type, title, status, detail, code, details?, ...}. A platform's refusal keeps the
 * platform's own words: 400 bad_credentials, 422 not_accepted, 502
 * platform_error. Answers and log lines never hold credentials or secrets.
 */
import type { HttpFunction } from '@google-cloud/functions-framework';
import { blockStores, type BlockStores } from '../contracts/blocks';
import { createEnvelopePublisher, type EnvelopePublisher } from '../envelope/publish';
import { badRequest, jsonBody, serveJsonApi, workspace, type Route } from '../events-api/http';
import { createLogger, type Logger } from '../runtime/log';
import { authorizeFromEnv, type Authorize } from '../runtime/caller-auth';
import { platformConnections, type PlatformConnection } from './config';
import { BlockService } from './service';
import type { Platform } from '../platforms';

export interface BlocksApiOptions {
  stores?: () => BlockStores;
  /** Publishes to the `events` topic (EVENTS_TOPIC). */
  publisher?: () => EnvelopePublisher;
  platforms?: Partial<Record<Platform, PlatformConnection>>;
  fetch?: typeof fetch;
  logger?: Logger;
  now?: () => Date;
  /** Who may call which route; from API_AUTH, API_AUDIENCE and API_CALLERS by default. */
  authorize?: Authorize;
}

/** Bodies here are one small JSON object (credentials); refused above this by the body guard. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

export function createBlocksApi(options: BlocksApiOptions = {}): HttpFunction {
  const log = options.logger ?? createLogger({ component: 'blocks-api' });
  let stores: BlockStores | undefined;
  let publisher: EnvelopePublisher | undefined;
  const service = new BlockService({
    get stores() {
      return (stores ??= options.stores?.() ?? blockStores());
    },
    publisher: () => (publisher ??= options.publisher?.() ?? createEnvelopePublisher()),
    platforms: options.platforms ?? platformConnections(),
    fetch: options.fetch ?? fetch,
    log,
    now: options.now ?? (() => new Date()),
  });

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: '/workspaces/:ws/blocks',
      async handle(_req, res, params) {
        res.json({ blocks: await service.list(workspace(params)) });
      },
    },
    {
      method: 'POST',
      pattern: '/workspaces/:ws/blocks',
      async handle(req, res, params, reqLog) {
        const { block, created } = await service.connect(workspace(params), jsonBody(req), reqLog);
        res
          .status(created ? 201 : 200)
          .set('Location', `/workspaces/${block.workspace_id}/blocks/${block.block_id}`)
          .json({ block, created });
      },
    },
    {
      method: 'GET',
      pattern: '/workspaces/:ws/blocks/:id',
      async handle(_req, res, params) {
        res.json({ block: await service.show(workspace(params), params.id ?? '') });
      },
    },
    {
      method: 'POST',
      pattern: '/workspaces/:ws/blocks/:id/disconnect',
      async handle(req, res, params, reqLog) {
        res.json(await service.disconnect(workspace(params), params.id ?? '', jsonBody(req), reqLog));
      },
    },
    {
      method: 'POST',
      pattern: '/workspaces/:ws/blocks/:id/rotate',
      async handle(req, res, params, reqLog) {
        res.json(await service.rotate(workspace(params), params.id ?? '', jsonBody(req), reqLog));
      },
    },
    {
      method: 'POST',
      pattern: '/workspaces/:ws/blocks/:id/check',
      async handle(_req, res, params, reqLog) {
        res.json(await service.check(workspace(params), params.id ?? '', reqLog));
      },
    },
    {
      method: 'POST',
      pattern: '/checks',
      async handle(req, res, _params, reqLog) {
        const unknown = Object.keys(jsonBody(req));
        if (unknown.length) throw badRequest('unknown_parameter', `unknown field(s) ${unknown.join(', ')}; the body is {} or none`);
        res.json(await service.checkAll(reqLog));
      },
    },
  ];

  return serveJsonApi(routes, log, MAX_REQUEST_BODY_BYTES, { authorize: options.authorize ?? authorizeFromEnv() });
}
