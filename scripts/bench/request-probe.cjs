/**
 * Preloaded (node --require, through NODE_OPTIONS) into the function processes
 * of the e2e bench only: for every HTTP request a function serves, it prints
 * one line
 *
 *   {"bench_probe":1,"subscription":…,"type":…,"status":…,"ms":…,"firestore_calls":…,"firestore_round_trips":…,"firestore_ms":…}
 *
 * `type` is the pushed message's `type` attribute (an envelope's event type), if any;
 * `since_publish_ms` the time from the message's `publishTime` (as the Pub/Sub
 * emulator stamps it, to the millisecond) to the request's arrival: the push
 * hop plus any wait for a push slot.
 * `ms` is the time from the request's arrival to the end of its answer (the
 * framework, decoding, the handler and its outcome report); `firestore_calls`
 * counts the Firestore RPCs the request made, and `firestore_round_trips` the
 * sequential ones: a call that starts while another call of the same request is
 * still in flight adds no round trip; `firestore_ms` is the time with at least
 * one call in flight (the rest of `ms` is the framework, our code, publishing
 * and waiting for the CPU). The bench reads these lines from the
 * stack's captured output, so production code carries no counters.
 *
 * It wraps the Firestore client's two internal funnels, `request` (commit,
 * beginTransaction, rollback…) and `requestStream` (batchGetDocuments,
 * runQuery; `listen` is a long-lived stream, not a round trip, and is left
 * alone). Functions run from source here, so they load this same module.
 */
const { AsyncLocalStorage } = require('node:async_hooks');
const http = require('node:http');
const { Firestore } = require('@google-cloud/firestore');

const current = new AsyncLocalStorage();

function begin() {
  const probe = current.getStore();
  if (!probe) return () => {};
  probe.calls++;
  if (probe.inFlight++ === 0) {
    probe.roundTrips++;
    probe.waitingSince = performance.now();
  }
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (--probe.inFlight === 0) probe.waitingMs += performance.now() - probe.waitingSince;
  };
}

const request = Firestore.prototype.request;
Firestore.prototype.request = function (...args) {
  const end = begin();
  return request.apply(this, args).finally(end);
};

const requestStream = Firestore.prototype.requestStream;
Firestore.prototype.requestStream = function (methodName, ...rest) {
  if (methodName === 'listen') return requestStream.call(this, methodName, ...rest);
  const end = begin();
  return requestStream.call(this, methodName, ...rest).then(
    (stream) => {
      for (const event of ['end', 'close', 'error']) stream.once(event, end);
      return stream;
    },
    (err) => {
      end();
      throw err;
    },
  );
};

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, res, ...rest) {
  if (event !== 'request') return emit.call(this, event, req, res, ...rest);
  const probe = { start: performance.now(), arrivedAt: Date.now(), calls: 0, roundTrips: 0, inFlight: 0, waitingSince: 0, waitingMs: 0 };
  res.once('finish', () => {
    const body = req.body && typeof req.body === 'object' ? req.body : {};
    const type = body.message && body.message.attributes ? body.message.attributes.type : undefined;
    const published = body.message ? Date.parse(body.message.publishTime) : NaN;
    const line = {
      bench_probe: 1,
      subscription: typeof body.subscription === 'string' ? body.subscription.split('/').pop() : null,
      type: typeof type === 'string' ? type : null,
      since_publish_ms: Number.isFinite(published) ? Math.round(probe.arrivedAt - published) : null,
      status: res.statusCode,
      ms: Math.round((performance.now() - probe.start) * 100) / 100,
      firestore_calls: probe.calls,
      firestore_round_trips: probe.roundTrips,
      firestore_ms: Math.round(probe.waitingMs * 100) / 100,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  });
  return current.run(probe, () => emit.call(this, event, req, res, ...rest));
};
