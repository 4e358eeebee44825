/**
 * Configuration problems are logged at ERROR once per process and key, not on
 * every request: one clear line to alert on, no flood while the problem lasts.
 */
import type { LogFields, Logger } from '../runtime/log';

const reported = new Set<string>();

export function configErrorOnce(log: Logger, key: string, message: string, fields: LogFields = {}): void {
  if (reported.has(key)) return;
  reported.add(key);
  log.error(message, { ...fields, config_error: key });
}
