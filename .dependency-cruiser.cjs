/**
 * Import boundaries, checked by dependency-cruiser in `npm test`
 * (test/architecture.test.ts runs `npm run depcruise`). A rule names what may
 * not import what; a violation prints the rule's name and comment with the
 * offending import.
 *
 * Known violations that predate a rule are listed in
 * .dependency-cruiser-known-violations.json (regenerate it with
 * `npm run depcruise:baseline` only when a listed one is removed); every new
 * violation fails the suite.
 *
 *   shared/platforms/<platform>/  one folder per platform: its edge and normalizer adapters
 *   shared/platforms/meta/        the base Instagram, Messenger and WhatsApp share
 *   shared/platforms/index.ts     the platform names; registry.ts maps them to the folders
 *   shared/platform-kit/          what the adapters are written with (types, field readers, ...)
 *   shared/edge/, shared/normalize/  the pipelines that run the adapters
 */

/** Each consumer's own storage: the modules that read or write its Firestore collections. */
const CONSUMER_STORAGE = [
  '^shared/contacts/store[.]ts$',
  '^shared/triggers/(store|index-cache)[.]ts$',
  '^shared/event-log/(writer|raw-store|outcomes|optimistic)[.]ts$',
  '^shared/events-api/jobs[.]ts$',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'platform-uses-the-kit-not-the-pipelines',
      severity: 'error',
      comment:
        'A platform implements the adapter types of shared/platform-kit/ with its helpers; it never imports shared/edge/ or ' +
        'shared/normalize/, which run it. Move what it needs into the kit.',
      from: { path: '^shared/platforms/[^/]+/' },
      to: { path: '^shared/(edge|normalize)/' },
    },
    {
      name: 'platform-is-one-folder',
      severity: 'error',
      comment:
        'A platform imports only its own folder, the shared Meta base (shared/platforms/meta/) and the platform names ' +
        '(shared/platforms/index.ts): not another platform, nor the registry that lists them all.',
      from: { path: '^shared/platforms/([^/]+)/' },
      to: {
        path: '^shared/platforms/([^/]+/|registry[.]ts$)',
        pathNot: ['^shared/platforms/$1/', '^shared/platforms/meta/'],
      },
    },
    {
      name: 'kit-knows-no-platform',
      severity: 'error',
      comment:
        'shared/platform-kit/ is what platforms are written with: it imports no platform, no registry, and neither pipeline ' +
        '(the platform names, shared/platforms/index.ts, are fine).',
      from: { path: '^shared/platform-kit/' },
      to: { path: '^shared/(edge/|normalize/|platforms/(?!index[.]ts$))' },
    },
    {
      name: 'edge-is-given-its-adapter',
      severity: 'error',
      comment:
        'shared/edge/ runs whichever edge adapter its webhook function hands it; importing a platform or the registry would put ' +
        'every platform in every webhook bundle (docs/performance.md#cold-start-one-platform-per-webhook-bundle).',
      from: { path: '^shared/edge/' },
      to: { path: '^shared/(normalize/|platforms/(?!index[.]ts$))' },
    },
    {
      name: 'webhook-bundle-holds-one-edge-adapter',
      severity: 'error',
      comment:
        "A webhook function bundles its own platform's edge adapter and nothing of the normalizer: it imports " +
        "shared/platforms/<platform>/edge, never the platform's index.ts, another platform, the registry or a mapper " +
        '(docs/performance.md#cold-start-one-platform-per-webhook-bundle).',
      from: { path: '^functions/webhook-([^/]+)/' },
      to: {
        reachable: true,
        path: [
          '^shared/normalize/',
          '^shared/platforms/registry[.]ts$',
          '^shared/platforms/[^/]+/(index|normalize[^/]*)[.]ts$',
          '^shared/platform-kit/(fields|problems|thread|time)[.]ts$',
          '^shared/platforms/(?!index[.]ts$|$1/|meta/)',
        ],
      },
    },
    {
      name: 'consumer-keeps-out-of-others-storage',
      severity: 'error',
      comment:
        "contacts, triggers, event-log and events-api each own their Firestore collections: one does not import another's " +
        'storage module (store, writer, raw-store, outcomes, ...). Share through a published contract instead.',
      from: { path: '^shared/(contacts|triggers|event-log|events-api)/' },
      to: { path: CONSUMER_STORAGE, pathNot: '^shared/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    // Type-only imports count: the kit's types may no more name a platform than its code.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
