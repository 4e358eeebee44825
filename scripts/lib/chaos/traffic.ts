/**
 * What `npm run chaos` sends: signed Messenger bodies (one message each, a
 * big batch, the same bytes many times) and how it sends them (a bounded
 * number at once), keeping each answer and the exact bytes sent.
 */
import { signedHeaders } from '../samples';

export interface Sent {
  body: Buffer;
  status: number;
  /** The edge's request id (its 200 answer names it). */
  requestId: string | undefined;
}

export interface MessengerItem {
  sender: string;
  mid: string;
  text: string;
}

/** A Messenger webhook body for `page`, one entry batching every item. */
export function messengerBody(page: string, items: MessengerItem[], at = Date.now()): Buffer {
  const body = {
    object: 'page',
    entry: [
      {
        id: page,
        time: at,
        messaging: items.map((i) => ({
          sender: { id: i.sender },
          recipient: { id: page },
          timestamp: at,
          message: { mid: i.mid, text: i.text },
        })),
      },
    ],
  };
  return Buffer.from(JSON.stringify(body), 'utf8');
}

export async function post(url: string, body: Buffer, headers: Record<string, string> = signedHeaders('messenger', body)): Promise<Sent> {
  try {
    const res = await fetch(url, { method: 'POST', headers, body: new Uint8Array(body) });
    const text = await res.text();
    let requestId: string | undefined;
    try {
      requestId = (JSON.parse(text) as { request_id?: string }).request_id;
    } catch {
      requestId = undefined;
    }
    return { body, status: res.status, requestId };
  } catch {
    // The connection failed (the function was down): not acknowledged, and the platform would retry.
    return { body, status: 0, requestId: undefined };
  }
}

/** Runs `tasks` with at most `parallel` at once, in order of start. */
export async function bounded<T>(tasks: Array<() => Promise<T>>, parallel: number): Promise<T[]> {
  const out: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, tasks.length) }, worker));
  return out;
}
