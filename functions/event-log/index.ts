/**
 * Entry point `eventLog`: the 30-day event log writer, fed by push
 * subscriptions on events, webhook-rejected, webhook-raw and both dead-letter
 * topics. Logic: shared/event-log/handler.ts.
 */
import * as functions from '@google-cloud/functions-framework';
import { createEventLogHandler } from '../../shared/event-log/handler';
import { requirePushAuth } from '../../shared/runtime/push-auth';

export const eventLog = requirePushAuth('event-log', createEventLogHandler());
functions.http('eventLog', eventLog);
