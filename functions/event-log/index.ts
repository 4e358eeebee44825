/**
 * Entry point `eventLog`: the 30-day event log writer, fed by push
 * subscriptions on events, webhook-rejected, webhook-raw and both dead-letter
 * topics. Logic: shared/event-log/handler.ts.
 */
import * as functions from '@google-cloud/functions-framework';
import { createEventLogHandler } from '../../shared/event-log/handler';

functions.http('eventLog', createEventLogHandler());
