/**
 * Runs the real Terraform CLI on a scratch copy of terraform/ with no network:
 * every provider terraform/versions.tf requires is installed from a filesystem
 * mirror whose "provider binary" is provider-server.js serving the committed
 * schema (schemas/<provider>.json). Terraform installs, locks, launches and
 * talks to it exactly as to a downloaded provider (plugin protocol 6).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const OFFLINE_DIR = __dirname;
export const SCHEMA_DIR = path.join(OFFLINE_DIR, 'schemas');
const SERVER = path.join(OFFLINE_DIR, 'provider-server.js');

export interface SchemaFile {
  file: string;
  source: string;
  version: string;
  resource_schemas: Record<string, unknown>;
  data_source_schemas: Record<string, unknown>;
}

export function schemaFiles(): SchemaFile[] {
  return readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      file: path.join(SCHEMA_DIR, f),
      ...(JSON.parse(readFileSync(path.join(SCHEMA_DIR, f), 'utf8')) as Omit<SchemaFile, 'file'>),
    }));
}

/** The terraform binary's version, or undefined when it is not on PATH. */
export function terraformVersion(): string | undefined {
  const r = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  try {
    return (JSON.parse(r.stdout) as { terraform_version: string }).terraform_version;
  } catch {
    return undefined;
  }
}

function platform(): string {
  const arch = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' }[process.arch as string];
  if (!arch || process.platform === 'win32')
    throw new Error(`the offline provider mirror supports Linux and macOS, not ${process.platform}/${process.arch}`);
  return `${process.platform}_${arch}`;
}

export interface RunResult {
  status: number | null;
  output: string;
}

export class Scratch {
  readonly root: string;
  readonly mirror: string;
  readonly log: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor() {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'convotic-tf-offline-'));
    this.mirror = path.join(this.root, 'mirror');
    this.log = path.join(this.root, 'provider-calls.log');
    writeFileSync(this.log, '');
    this.writeMirror();
    const cliConfig = path.join(this.root, 'terraform.rc');
    // Only the mirror: without a `direct` block Terraform never asks a registry.
    writeFileSync(cliConfig, `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(this.mirror)}\n  }\n}\n`);
    // A TF_* setting of the developer's (TF_CLI_ARGS_test, TF_LOG, TF_DATA_DIR...) must not change the run.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^TF_/.test(k) && k !== 'CHECKPOINT_DISABLE'));
    this.env = {
      ...inherited,
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_DISABLE_PLUGIN_TLS: '1', // provider-server.js has no TLS
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
      TF_OFFLINE_PROVIDER_LOG: this.log,
    };
  }

  /** registry.terraform.io/hashicorp/google/6.50.0/linux_amd64/terraform-provider-google_v6.50.0 => provider-server.js schemas/google.json */
  private writeMirror(): void {
    for (const s of schemaFiles()) {
      const [host, namespace, type] = s.source.split('/');
      if (!host || !namespace || !type) throw new Error(`${s.file}: source ${s.source} is not host/namespace/type`);
      const dir = path.join(this.mirror, host, namespace, type, s.version, platform());
      mkdirSync(dir, { recursive: true });
      const exe = path.join(dir, `terraform-provider-${type}_v${s.version}`);
      const q = (p: string): string => `'${p.replace(/'/g, `'\\''`)}'`;
      writeFileSync(exe, `#!/bin/sh\nexec ${q(process.execPath)} ${q(SERVER)} ${q(s.file)} "$@"\n`);
      chmodSync(exe, 0o755);
    }
  }

  /**
   * Copies terraform/ (without local state, lock file, .terraform or tfvars),
   * topology.json and package.json into `<root>/<name>/`, with placeholder
   * build outputs for every function: dist/<fn>/index.js, dist/<fn>/package.json
   * and dist/<fn>.zip, so the configuration finds what `npm run build` writes.
   * Returns the terraform directory of the copy.
   */
  copyRepo(name: string): string {
    const base = path.join(this.root, name);
    const tfDir = path.join(base, 'terraform');
    cpSync(path.join(REPO_ROOT, 'terraform'), tfDir, {
      recursive: true,
      filter: (src) => {
        const b = path.basename(src);
        return (
          !['.terraform', '.terraform.lock.hcl', '.build', 'terraform.tfstate.d'].includes(b) &&
          !/\.tfstate(\.|$)|\.tfvars(\.json)?$/.test(b)
        );
      },
    });
    for (const f of ['topology.json', 'package.json']) cpSync(path.join(REPO_ROOT, f), path.join(base, f));
    const topology = JSON.parse(readFileSync(path.join(REPO_ROOT, 'topology.json'), 'utf8')) as { functions: Record<string, unknown> };
    for (const fn of Object.keys(topology.functions)) {
      const dist = path.join(base, 'dist', fn);
      mkdirSync(dist, { recursive: true });
      writeFileSync(path.join(dist, 'index.js'), `// placeholder for ${fn}\n`);
      writeFileSync(path.join(dist, 'package.json'), `${JSON.stringify({ name: fn, private: true, main: 'index.js' })}\n`);
      writeFileSync(path.join(base, 'dist', `${fn}.zip`), emptyZip(fn));
    }
    return tfDir;
  }

  terraform(cwd: string, args: string[]): RunResult {
    const r = spawnSync('terraform', [...args, '-no-color'], { cwd, env: this.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const output = `$ terraform ${args.join(' ')}\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
    return { status: r.status, output };
  }

  /** Lines provider-server.js logged: "<provider> <pid> <call> [type]". */
  calls(): string[] {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8').split('\n').filter(Boolean) : [];
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A valid zip with no entries whose comment names the function (so each differs). */
function emptyZip(comment: string): Buffer {
  const c = Buffer.from(comment, 'utf8');
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); // end of central directory; entry counts, sizes and offset all 0
  eocd.writeUInt16LE(c.length, 20);
  return Buffer.concat([eocd, c]);
}
