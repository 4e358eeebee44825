/** `npm run normalize`'s command line (scripts/normalize.ts), parsed by the shared parser (args.ts). Pure, for tests. */
import { isPlatform, PLATFORMS, type Platform } from '../../shared/platforms';
import { HELP_OPTION, parseCli, UsageError } from './args';

export interface NormalizeArgs {
  help: boolean;
  platform: Platform;
  workspace?: string;
  block?: string;
  kind: 'webhook' | 'handshake';
  receivedAt?: string;
  requestId: string;
  /** A body file, or '-' for stdin; absent with --sample. */
  file?: string;
  /** --sample <platform>/<name>: a shipped sample, placeholders filled (scripts/samples/). */
  sample?: { platform: Platform; name: string };
  /** Fixes a sample's random ids (as npm run send -- --id). */
  id?: string;
}

export const NORMALIZE_OPTIONS = {
  ...HELP_OPTION,
  platform: { type: 'string' },
  workspace: { type: 'string' },
  block: { type: 'string' },
  kind: { type: 'string' },
  'received-at': { type: 'string' },
  'request-id': { type: 'string' },
  sample: { type: 'string' },
  id: { type: 'string' },
} as const;

export function parseNormalizeArgs(argv: readonly string[]): NormalizeArgs | { help: true } {
  const { values, positionals } = parseCli(argv, NORMALIZE_OPTIONS);
  if (values.help) return { help: true };
  let sample: NormalizeArgs['sample'];
  if (values.sample !== undefined) {
    const [p, name, ...more] = values.sample.split('/');
    if (!p || !name || more.length || !isPlatform(p))
      throw new UsageError(
        `--sample takes <platform>/<name>, e.g. messenger/text (npm run send -- --list shows them), got ${values.sample}`,
      );
    sample = { platform: p, name: name.replace(/\.json$/, '') };
    if (positionals.length) throw new UsageError('--sample or a FILE, not both');
    if (values.platform !== undefined && values.platform !== p)
      throw new UsageError(`--platform ${values.platform} does not match the sample's platform ${p}`);
  } else if (values.id !== undefined) throw new UsageError('--id goes with --sample');
  const platform = values.platform ?? sample?.platform;
  if (!platform) throw new UsageError('--platform is required (or --sample <platform>/<name>)');
  if (!isPlatform(platform)) throw new UsageError(`--platform must be one of ${PLATFORMS.join(', ')}`);
  if (!!values.workspace !== !!values.block) throw new UsageError('--workspace and --block go together');
  const kind = values.kind ?? 'webhook';
  if (kind !== 'webhook' && kind !== 'handshake') throw new UsageError('--kind must be webhook or handshake');
  if (positionals.length > 1) throw new UsageError('one body at a time');
  return {
    help: false,
    platform,
    workspace: values.workspace,
    block: values.block,
    kind,
    receivedAt: values['received-at'],
    requestId: values['request-id'] ?? 'cli',
    file: sample ? undefined : (positionals[0] ?? '-'),
    sample,
    id: values.id,
  };
}

/**
 * Why the Block registry cannot be used, or undefined when it can: the
 * Firestore client needs the emulator's host:port (or credentials) and a project id.
 */
export function registryProblem(env: NodeJS.ProcessEnv, localFirestorePort: number, localProject: string): string | undefined {
  const hasHost = !!env.FIRESTORE_EMULATOR_HOST || !!env.GOOGLE_APPLICATION_CREDENTIALS;
  const hasProject = !!(env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT);
  if (hasHost && hasProject) return undefined;
  const missing = [
    ...(hasHost ? [] : [`FIRESTORE_EMULATOR_HOST=127.0.0.1:${localFirestorePort}`]),
    ...(hasProject ? [] : [`GOOGLE_CLOUD_PROJECT=${localProject}`]),
  ];
  return (
    'no --workspace/--block given, so events are routed by the Block registry, which needs ' +
    `${missing.join(' and ')} (the values for the running npm start; or pass --workspace W --block B)`
  );
}

/** A sample file of scripts/samples/ given as FILE: `{ description, expect, body }` with placeholders, not a webhook body. */
export function sampleFileHint(body: Buffer, file: string | undefined): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const keys = Object.keys(parsed);
  if (!keys.includes('body') || !keys.includes('description')) return undefined;
  const m = file ? /(?:^|[\\/])samples[\\/]([a-z]+)[\\/]([\w-]+)\.json$/.exec(file) : null;
  const suggestion = m ? `--sample ${m[1]}/${m[2]}` : '--sample <platform>/<name>';
  return `${file ?? 'the input'} is a sample file of npm run send (a description and a body with placeholders), not a webhook body: use ${suggestion}`;
}
