/**
 * Entry point `eventsApi`: the private events API (list, get, replay, internal
 * events, unrouted entries). Logic: shared/events-api/app.ts. Replays of
 * platform events and unrouted entries run the stored webhook body through
 * the current normalizer, routed by the Block registry.
 */
import * as functions from '@google-cloud/functions-framework';
import { createEventsApi } from '../../shared/events-api/app';
import { renormalizeFresh, renormalizeWith } from '../../shared/events-api/renormalize';
import { firestoreRouter } from '../../shared/normalize/firestore-router';

let router: ReturnType<typeof firestoreRouter> | undefined;
functions.http(
  'eventsApi',
  createEventsApi({
    renormalize: renormalizeWith(() => (router ??= firestoreRouter())),
    renormalizeUnrouted: renormalizeFresh(),
  }),
);
