/**
 * Builds a webhook function: the platform's edge adapter, config from the
 * environment, the raw-topic publisher and (LINE, Telegram) the Block
 * registry, bound to the functions-framework request/response. The entry
 * points in functions/webhook-* call this with their platform's
 * shared/platforms/<platform>/edge and register the result.
 */
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import type { BlockRegistry } from '../contracts/blocks';
import { createLogger, type Logger } from '../runtime/log';
import { boundedRegistry } from './bounded-registry';
import { installBodyGuard, writeAnswer } from '../runtime/body-guard';
import { loadEdgeConfig, type EdgeConfig } from './config';
import { configErrorOnce } from '../platform-kit/config-error';
import type { EdgeAdapter } from '../platform-kit/types';
import { handleEdgeRequest, refuseEdgeRequest, type EdgeDeps } from './pipeline';
import { topicPublisher, type RawPublisher } from './publish';
import { setUpTracing } from '../runtime/trace';

export interface WebhookFunctionOptions {
  /** Required for platforms with per-Block secrets (LINE, Telegram); called on the first request that needs it. */
  registry?: () => BlockRegistry;
  config?: EdgeConfig;
  publish?: RawPublisher;
  log?: Logger;
}

export function createWebhookFunction(adapter: EdgeAdapter, options: WebhookFunctionOptions = {}): HttpFunction {
  const { platform } = adapter;
  // A bad TRACE_EXPORTER fails the cold start, not every webhook.
  setUpTracing();
  if (adapter.needsRegistry && !options.registry) {
    throw new Error(`webhook-${platform} needs a Block registry (its secrets are per Block)`);
  }
  const config = options.config ?? loadEdgeConfig(platform);
  const log = options.log ?? createLogger({ component: `webhook-${platform}` });
  const publish = options.publish ?? topicPublisher(config.rawTopic, config.publishTimeoutMs);
  if (adapter.handshake && config.verifyTokens.length === 0) {
    configErrorOnce(
      log,
      `${platform}-verify-token`,
      `${platform.toUpperCase()}_VERIFY_TOKEN / META_VERIFY_TOKEN is not set: every verification request is rejected`,
      { platform },
    );
  }
  if (adapter.handshake && config.appSecrets.length === 0) {
    configErrorOnce(
      log,
      `${platform}-app-secret`,
      `${platform.toUpperCase()}_APP_SECRET / META_APP_SECRET is not set: every webhook is rejected`,
      { platform },
    );
  }

  let deps: EdgeDeps | undefined;
  const resolveDeps = (): EdgeDeps =>
    (deps ??= {
      adapter,
      config,
      publish,
      log,
      registry: options.registry && boundedRegistry(options.registry(), config.registryTimeoutMs),
    });
  // Before the framework builds its app: our answers for bodies its parsers refuse (see shared/runtime/body-guard.ts).
  installBodyGuard(() => {
    const d = resolveDeps();
    return {
      maxBodyBytes: d.config.maxBodyBytes,
      refuse: (req, res, failure, error) => {
        const answer = refuseEdgeRequest(
          { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, rawBody: undefined },
          d,
          failure,
          error,
        );
        writeAnswer(res, answer.status, answer.headers, answer.body);
      },
      warn: (message) => d.log.warn(message),
    };
  });

  return async (req: Request, res: Response) => {
    const response = await handleEdgeRequest(
      { method: req.method, url: req.originalUrl ?? req.url, headers: req.headers, rawBody: req.rawBody, parsedBody: req.body },
      resolveDeps(),
    );
    res.status(response.status).set(response.headers).send(response.body);
  };
}
