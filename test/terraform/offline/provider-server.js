#!/usr/bin/env node
// @ts-check
/**
 * A schema-only Terraform provider for the offline tests (test/terraform/validate.test.ts).
 *
 *   node provider-server.js schemas/google.json
 *
 * Terraform starts it like any provider plugin: go-plugin's handshake (magic
 * cookie in the environment, one `1|6|unix|<socket>|grpc` line on stdout), then
 * plugin protocol 6 over gRPC on a Unix socket. It answers with the schema in
 * the given file (written by scripts/terraform-schemas.ts from the provider's
 * real schema), so Terraform checks every resource type, argument, block
 * nesting, type and required argument as the real provider would. It accepts
 * every configuration the schema accepts and refuses everything that would
 * need the real provider: plan, apply, refresh, import, data source reads.
 * `terraform test` therefore works only where every provider is a mock_provider
 * (Terraform then uses just the schema from here and fakes the values itself).
 *
 * No TLS: Terraform must run with TF_DISABLE_PLUGIN_TLS=1 (the test sets it).
 * TF_OFFLINE_PROVIDER_LOG=<file> appends one line per call, for the test's checks.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

// go-plugin's handshake for Terraform providers (HandshakeConfig in Terraform's internal/plugin6).
const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
const CORE_PROTOCOL_VERSION = 1;
const PROTOCOL_VERSION = 6;

const schemaFile = process.argv[2];
if (!schemaFile) {
  process.stderr.write('usage: provider-server.js SCHEMA.json\n');
  process.exit(2);
}
if (process.env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) {
  process.stderr.write(
    'This is a Terraform provider plugin for the offline tests; Terraform starts it (see test/terraform/validate.test.ts).\n',
  );
  process.exit(1);
}
const offered = (process.env.PLUGIN_PROTOCOL_VERSIONS || '').split(',').map((v) => v.trim());
if (!offered.includes(String(PROTOCOL_VERSION))) {
  process.stderr.write(
    `Terraform offers plugin protocol versions ${offered.join(', ') || '(none)'}; this provider speaks only ${PROTOCOL_VERSION}.\n`,
  );
  process.exit(1);
}
if (process.env.PLUGIN_CLIENT_CERT) {
  process.stderr.write('Terraform asked for TLS (AutoMTLS); this provider has none. Run Terraform with TF_DISABLE_PLUGIN_TLS=1.\n');
  process.exit(1);
}

/** @type {{ source: string, version: string, provider: any, resource_schemas: Record<string, any>, data_source_schemas: Record<string, any> }} */
const doc = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
const providerName = doc.source.split('/').pop();

const logFile = process.env.TF_OFFLINE_PROVIDER_LOG;
/** @param {string} what */
function log(what) {
  if (logFile) fs.appendFileSync(logFile, `${providerName} ${process.pid} ${what}\n`);
}

// --- The schema as protocol messages -------------------------------------------

const NESTING = { single: 1, list: 2, set: 3, map: 4, group: 5 };
const byName = (/** @type {[string, any]} */ [a], /** @type {[string, any]} */ [b]) => (a < b ? -1 : a > b ? 1 : 0);

/** @param {any} block */
function protoBlock(block) {
  return {
    version: 0,
    attributes: Object.entries(block.attributes || {})
      .sort(byName)
      .map(([name, a]) => ({
        name,
        type: Buffer.from(JSON.stringify(a.type)),
        required: !!a.required,
        optional: !!a.optional,
        computed: !!a.computed,
        sensitive: !!a.sensitive,
      })),
    block_types: Object.entries(block.block_types || {})
      .sort(byName)
      .map(([name, bt]) => {
        const nesting = NESTING[/** @type {keyof typeof NESTING} */ (bt.nesting_mode)];
        if (!nesting) throw new Error(`${schemaFile}: ${name} has nesting mode ${bt.nesting_mode}`);
        return { type_name: name, block: protoBlock(bt.block), nesting, min_items: bt.min_items || 0, max_items: bt.max_items || 0 };
      }),
  };
}
/** @param {any} s */
const protoSchema = (s) => ({ version: s.version || 0, block: protoBlock(s.block) });
/** @param {Record<string, any>} m */
const protoSchemas = (m) => Object.fromEntries(Object.entries(m).map(([type, s]) => [type, protoSchema(s)]));

const capabilities = { plan_destroy: false, get_provider_schema_optional: false, move_resource_state: false };
const schemaResponse = {
  provider: protoSchema(doc.provider),
  resource_schemas: protoSchemas(doc.resource_schemas),
  data_source_schemas: protoSchemas(doc.data_source_schemas),
  diagnostics: [],
  server_capabilities: capabilities,
};

// --- Services ------------------------------------------------------------------

const ERROR = 1;
/** @param {string} summary @param {string} [detail] */
const error = (summary, detail = '') => ({ severity: ERROR, summary, detail });

const load = (/** @type {string} */ file) =>
  grpc.loadPackageDefinition(
    protoLoader.loadSync(path.join(__dirname, 'proto', file), {
      keepCase: true,
      longs: Number,
      enums: Number,
      defaults: true,
      oneofs: true,
    }),
  );
const tfplugin6 = /** @type {any} */ (load('tfplugin6.proto')).tfplugin6;
const plugin = /** @type {any} */ (load('grpc_controller.proto')).plugin;
const stdio = /** @type {any} */ (load('grpc_stdio.proto')).plugin;
const broker = /** @type {any} */ (load('grpc_broker.proto')).plugin;
const health = /** @type {any} */ (load('health.proto')).grpc.health.v1;

/** Known type names, for a clear error instead of a silent yes. */
const known = {
  resource: new Set(Object.keys(doc.resource_schemas)),
  data: new Set(Object.keys(doc.data_source_schemas)),
};

/**
 * @param {string} name
 * @param {(req: any) => any} answer
 */
const unary = (name, answer) => (/** @type {any} */ call, /** @type {Function} */ cb) => {
  log(`${name}${call.request && call.request.type_name ? ` ${call.request.type_name}` : ''}`);
  try {
    cb(null, answer(call.request));
  } catch (e) {
    cb(e);
  }
};
/** @param {string} name @param {string} action */
const refuse = (name, action) =>
  unary(name, (req) => ({
    diagnostics: [
      error(
        `The offline ${providerName} provider cannot ${action}`,
        `test/terraform/offline/provider-server.js serves only the schema of ${doc.source} ${doc.version}${req && req.type_name ? ` (asked about ${req.type_name})` : ''}. ` +
          'Use a mock_provider block for it in terraform test.',
      ),
    ],
  }));
/** @param {'resource'|'data'} kind */
const validate = (kind) => (/** @type {any} */ req) => ({
  diagnostics: known[kind].has(req.type_name)
    ? []
    : [
        error(
          `${kind === 'data' ? 'Data source' : 'Resource'} type ${req.type_name} is not in the offline schema`,
          'Run `npx tsx scripts/terraform-schemas.ts` to regenerate test/terraform/offline/schemas/.',
        ),
      ],
});

/** Streams to close when Terraform shuts the plugin down. @type {Set<any>} */
const openStreams = new Set();

const server = new grpc.Server();
server.addService(tfplugin6.Provider.service, {
  GetMetadata: unary('GetMetadata', () => ({
    server_capabilities: capabilities,
    diagnostics: [],
    resources: [...known.resource].map((type_name) => ({ type_name })),
    data_sources: [...known.data].map((type_name) => ({ type_name })),
  })),
  GetProviderSchema: unary('GetProviderSchema', () => schemaResponse),
  ValidateProviderConfig: unary('ValidateProviderConfig', () => ({ diagnostics: [] })),
  ValidateResourceConfig: unary('ValidateResourceConfig', validate('resource')),
  ValidateDataResourceConfig: unary('ValidateDataResourceConfig', validate('data')),
  ValidateEphemeralResourceConfig: unary('ValidateEphemeralResourceConfig', (req) => ({
    diagnostics: [error(`Ephemeral resource type ${req.type_name} is not in the offline schema`)],
  })),
  ConfigureProvider: unary('ConfigureProvider', () => ({ diagnostics: [] })),
  GetFunctions: unary('GetFunctions', () => ({ functions: {}, diagnostics: [] })),
  UpgradeResourceState: refuse('UpgradeResourceState', 'upgrade resource state'),
  ReadResource: refuse('ReadResource', 'read resources'),
  PlanResourceChange: refuse('PlanResourceChange', 'plan'),
  ApplyResourceChange: refuse('ApplyResourceChange', 'apply'),
  ImportResourceState: refuse('ImportResourceState', 'import'),
  MoveResourceState: refuse('MoveResourceState', 'move resource state'),
  ReadDataSource: refuse('ReadDataSource', 'read data sources'),
  OpenEphemeralResource: refuse('OpenEphemeralResource', 'open ephemeral resources'),
  CallFunction: unary('CallFunction', () => ({ error: { text: `The offline ${providerName} provider has no functions` } })),
  StopProvider: unary('StopProvider', () => ({ Error: '' })),
});
server.addService(plugin.GRPCController.service, {
  Shutdown: (/** @type {any} */ _call, /** @type {Function} */ cb) => {
    log('Shutdown');
    cb(null, {});
    shutdown();
  },
});
// go-plugin's client opens these two streams on every plugin; neither carries anything here.
server.addService(stdio.GRPCStdio.service, {
  StreamStdio: (/** @type {any} */ call) => {
    openStreams.add(call);
    call.on('cancelled', () => openStreams.delete(call));
  },
});
server.addService(broker.GRPCBroker.service, {
  StartStream: (/** @type {any} */ call) => {
    openStreams.add(call);
    call.on('data', () => {});
    call.on('end', () => {
      openStreams.delete(call);
      call.end();
    });
    call.on('cancelled', () => openStreams.delete(call));
  },
});
server.addService(health.Health.service, {
  Check: (/** @type {any} */ _call, /** @type {Function} */ cb) => cb(null, { status: 1 /* SERVING */ }),
  Watch: (/** @type {any} */ call) => {
    call.write({ status: 1 });
    openStreams.add(call);
    call.on('cancelled', () => openStreams.delete(call));
  },
});

const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-offline-provider-'));
const socket = path.join(socketDir, 'plugin.sock');

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  for (const call of openStreams) {
    try {
      call.end();
    } catch {
      // already closed
    }
  }
  server.tryShutdown(() => exit(0));
  setTimeout(() => exit(0), 500).unref();
}
/** @param {number} code */
function exit(code) {
  fs.rmSync(socketDir, { recursive: true, force: true });
  process.exit(code);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.bindAsync(`unix://${socket}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    process.stderr.write(`cannot listen on ${socket}: ${err.message}\n`);
    exit(1);
    return;
  }
  log(`listening ${socket}`);
  process.stdout.write(`${CORE_PROTOCOL_VERSION}|${PROTOCOL_VERSION}|unix|${socket}|grpc\n`);
});
