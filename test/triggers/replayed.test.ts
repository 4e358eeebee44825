/**
 * Which envelope a replay's recovery publishes the replayed event's run with
 * (shared/triggers/replayed.ts): the one the event log kept, else the replay
 * with the replayed event's identity back.
 */
import { hashId, type Envelope } from '../../shared/envelope';
import { replayedEvent } from '../../shared/triggers/replayed';
import { testEnvelopes } from '../helpers/envelopes';

const b = testEnvelopes({ workspaceId: 'ws_replayed', blockId: 'blk_tg', platform: 'telegram' });
const original = b.message({ user: 'U1', at: '2026-03-31T10:00:00.000Z', text: 'hi', metadata: { request_id: 'req-1' } });
const replay = {
  ...original,
  id: hashId('evt', ['replay', 'key', original.id]),
  metadata: { ...original.metadata, source: 'replay', replay_of: original.id, replay_of_entry: original.id, replay_origin: 'webhook' },
} as Envelope;

describe('replayedEvent', () => {
  it('is the envelope the event log kept for the replayed event', () => {
    const logged = {
      ...original,
      data: { ...original.data, message: { ...original.data.message, text: 'as first normalized' } },
    } as Envelope;
    expect(replayedEvent(replay, original.id, logged)).toBe(logged);
  });

  it('is the replay under the replayed id and source, without replay fields, when the log kept none', () => {
    expect(replayedEvent(replay, original.id, undefined)).toEqual(original);
  });

  it('ignores a logged envelope of another event or workspace', () => {
    const otherEvent = { ...original, id: hashId('evt', ['other']) } as Envelope;
    const otherWorkspace = { ...original, workspace_id: 'ws_other' } as Envelope;
    expect(replayedEvent(replay, original.id, otherEvent)).toEqual(original);
    expect(replayedEvent(replay, original.id, otherWorkspace)).toEqual(original);
  });

  it('drops `source` when the replay does not say where the replayed event came from', () => {
    const { replay_origin: _origin, ...metadata } = replay.metadata;
    const restored = replayedEvent({ ...replay, metadata } as Envelope, original.id, undefined);
    expect(restored.id).toBe(original.id);
    expect(restored.metadata).toEqual({ raw_platform_event_id: original.metadata.raw_platform_event_id, request_id: 'req-1' });
  });
});
