/**
 * Preloaded into every function process of `npm start` (node --require): the
 * functions-framework (5.x) calls `server.listen(port, callback)` with no host,
 * which listens on every network interface, and its CLI has no --host option.
 * This gives such a listen call the host in LOCAL_BIND_HOST (default
 * 127.0.0.1), so a local function answers only on this machine, as the
 * runner's banner says. A listen call that names a host is left alone.
 */
const net = require('node:net');

const host = process.env.LOCAL_BIND_HOST || '127.0.0.1';
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  const port = args[0];
  const portOnly = typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port));
  if (portOnly && (args.length === 1 || typeof args[1] === 'function')) args.splice(1, 0, host);
  return listen.apply(this, args);
};
