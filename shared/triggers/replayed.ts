/**
 * The event a replay names in `metadata.replay_of`, for publishing the trigger
 * run that event's own delivery committed and never published (handler.ts).
 * The run records decisions, not the event, but its start and resume requests
 * carry the event that triggered them and automation.workflow.started is
 * derived from it: they must be what a redelivery of that event would send.
 *
 * The event log keeps that envelope (`envelope_json`); the replay itself is the
 * fallback when the log has none (an envelope too big to keep): the same event
 * (type, data, thread, time; as the current normalizer makes it when the
 * webhook body was kept) under a new id, so restoring its id and source gives
 * the requests the identity their execution ids were derived from.
 * Object spreads are fine here: this runs only for a run a replay recovers.
 */
import type { Envelope, EnvelopeMetadata } from '../envelope';

/** The replayed event as the replay tells it: its id back, and its source instead of `replay`. */
function restoredFrom(replay: Envelope, replayedId: string): Envelope {
  const { replay_of: _of, replay_of_entry: _entry, replay_origin: origin, source: _replay, ...metadata } = replay.metadata;
  const restored: EnvelopeMetadata = origin ? { ...metadata, source: origin } : metadata;
  return { ...replay, id: replayedId, metadata: restored } as Envelope;
}

/** `logged`: the replayed event's envelope as the event log stored it, if it did. */
export function replayedEvent(replay: Envelope, replayedId: string, logged: Envelope | undefined): Envelope {
  if (logged && logged.id === replayedId && logged.workspace_id === replay.workspace_id) return logged;
  return restoredFrom(replay, replayedId);
}
