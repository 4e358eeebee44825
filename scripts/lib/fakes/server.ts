/**
 * What every local fake of a platform API (scripts/lib/fakes/) shares: an
 * HTTP server on a free loopback port (`url` once started), its closing, the
 * request body read whole, and JSON answers. Each fake keeps its own routes,
 * answers and errors in `handle`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export abstract class FakeServer {
  private server: http.Server | undefined;
  url = '';

  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => this.server!.once('error', reject).listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
}

/** The request's body as UTF-8 text ('' when it has none). */
export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A function answering `res` with a JSON body and `status`, under `contentType`. */
export function jsonSender(res: http.ServerResponse, contentType = 'application/json'): (status: number, body: object) => void {
  return (status, body) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(JSON.stringify(body));
  };
}
