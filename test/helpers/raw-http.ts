/**
 * Requests written byte for byte on a socket (any method, target, header or
 * framing, which node's http client would refuse to send), and the answer
 * read back until the server closes the connection. For the fuzz suites.
 */
import net from 'node:net';

export interface RawAnswer {
  /** 0 when the server closed the connection without an answer. */
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawRequest {
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body?: Buffer;
}

/** The request's bytes, with `connection: close` so the answer ends with the connection. */
export function requestBytes(req: RawRequest): Buffer {
  const head = [
    `${req.method} ${req.target} HTTP/1.1`,
    'host: fuzz.test',
    ...req.headers.map(([k, v]) => `${k}: ${v}`),
    'connection: close',
  ];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), req.body ?? Buffer.alloc(0)]);
}

/**
 * Writes `bytes` to host:port and resolves with the parsed answer once the
 * server closes (the requests ask it to), or rejects after `timeoutMs`.
 * `halfClose` ends our side after writing (for framing: bytes that never make
 * a complete request); otherwise the socket stays open, since node's server
 * aborts a request whose client half-closed before it was answered.
 */
export function sendRaw(baseUrl: string, bytes: Buffer, { timeoutMs = 10_000, halfClose = false } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of the answer within ${timeoutMs} ms: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    // The server may answer and close before it read everything we wrote: a reset then is no failure.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks)));
    });
    if (halfClose) socket.end(bytes);
    else socket.write(bytes);
  });
}

export function parseAnswer(raw: Buffer): RawAnswer {
  const text = raw.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/1.1 ') || headEnd < 0) return { status: 0, headers: {}, body: text };
  const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(Buffer.byteLength(text.slice(0, headEnd + 4), 'latin1'));
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(statusLine?.split(' ')[1]), headers, body: body.toString('utf8') };
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    out.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Whether an answer body is a JSON error: `{error}` (the edge), or problem+json with a `code` (the JSON APIs). */
export function isJsonError(answer: RawAnswer): boolean {
  const problem = /^application\/problem\+json/i.test(answer.headers['content-type'] ?? '');
  if (!problem && !/^application\/json/i.test(answer.headers['content-type'] ?? '')) return false;
  try {
    const body = JSON.parse(answer.body) as { error?: unknown; code?: unknown } | null;
    return typeof body === 'object' && body !== null && typeof (problem ? body.code : body.error) === 'string';
  } catch {
    return false;
  }
}
