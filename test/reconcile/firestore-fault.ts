/**
 * A pass-through to the Firestore emulator (gRPC over cleartext HTTP/2) that
 * can make one RPC fail as Firestore does: once `failing` names a method, its
 * calls are answered with no message and that gRPC status, as a real refusal
 * is (a query without its index: FAILED_PRECONDITION), while every other call
 * still reaches the emulator. A client pointed at `host` sees a
 * Firestore that refuses some reads part-way through a run.
 */
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface FirestoreFault {
  /** host:port to give a Firestore client. */
  readonly host: string;
  /** The RPC to refuse (e.g. `RunQuery`) and with what, or undefined to pass everything. */
  failing?: { method: string; code: number; message: string };
  close(): Promise<void>;
}

/** gRPC status codes used here (grpc/status.proto). */
export const PERMISSION_DENIED = 7;
export const FAILED_PRECONDITION = 9;

const PSEUDO = /^:/;

export async function firestoreFault(emulatorHost: string): Promise<FirestoreFault> {
  const upstream = http2.connect(`http://${emulatorHost}`);
  upstream.on('error', () => undefined);
  const server = http2.createServer();
  const fault: FirestoreFault = {
    host: '',
    close: async () => {
      upstream.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const path = String(headers[':path']);
    const failing = fault.failing;
    if (failing && path.endsWith(`/${failing.method}`)) {
      // Headers, no message, then the status as trailers: how a gRPC server answers a call it refuses.
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(failing.code), 'grpc-message': failing.message }));
      stream.end();
      stream.resume();
      return;
    }
    const forwarded = Object.fromEntries(Object.entries(headers).filter(([name]) => !PSEUDO.test(name)));
    const call = upstream.request({ ...forwarded, ':method': 'POST', ':path': path });
    call.on('error', (err) => stream.destroy(err));
    let trailers: http2.OutgoingHttpHeaders = {};
    call.on(
      'trailers',
      (t) => (trailers = Object.fromEntries(Object.entries(t).filter(([name]) => !PSEUDO.test(name))) as http2.OutgoingHttpHeaders),
    );
    call.on('response', (answer) => {
      const head = Object.fromEntries(Object.entries(answer).filter(([name]) => !PSEUDO.test(name)));
      // A trailers-only answer (the status in its headers) ends there; any other gets the upstream's trailers at its end.
      const only = 'grpc-status' in answer;
      stream.respond({ ...head, ':status': answer[':status'] }, only ? {} : { waitForTrailers: true });
      if (!only) stream.on('wantTrailers', () => stream.sendTrailers(trailers));
      call.pipe(stream);
    });
    stream.pipe(call);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(fault, { host: `127.0.0.1:${(server.address() as AddressInfo).port}` });
  return fault;
}
