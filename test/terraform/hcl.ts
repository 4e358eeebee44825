/**
 * Loads terraform/*.tf through @cdktf/hcl2json (no provider needed) and, when
 * the terraform binary is present, evaluates locals.tf with `terraform console`.
 * locals.tf depends only on topology.json and variables, so it can be evaluated
 * on its own in a scratch directory laid out like the repository.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const TF_DIR = path.join(REPO_ROOT, 'terraform');

// hcl2json output is untyped JSON; blocks are objects of expressions and nested block arrays.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Block = Record<string, any>;

export interface TfConfig {
  files: Record<string, Block>;
  resources: Record<string, Record<string, Block>>;
  data: Record<string, Record<string, Block>>;
  locals: Record<string, unknown>;
  variables: Record<string, Block>;
  outputs: Record<string, Block>;
  terraform: Block[];
}

export function tfFiles(): string[] {
  return readdirSync(TF_DIR)
    .filter((f) => f.endsWith('.tf'))
    .sort();
}

function addNamed(
  target: Record<string, Record<string, Block>>,
  source: Record<string, Record<string, Block[]>> | undefined,
  file: string,
): void {
  for (const [type, byName] of Object.entries(source ?? {})) {
    for (const [name, blocks] of Object.entries(byName)) {
      target[type] ??= {};
      if (target[type]![name]) throw new Error(`${type}.${name} declared twice (again in ${file})`);
      target[type]![name] = { ...blocks[0], __file: file };
    }
  }
}

export async function loadConfig(): Promise<TfConfig> {
  const config: TfConfig = { files: {}, resources: {}, data: {}, locals: {}, variables: {}, outputs: {}, terraform: [] };
  for (const file of tfFiles()) {
    const json = (await parse(file, readFileSync(path.join(TF_DIR, file), 'utf8'))) as Block;
    config.files[file] = json;
    addNamed(config.resources, json.resource, file);
    addNamed(config.data, json.data, file);
    for (const block of (json.locals ?? []) as Block[]) {
      for (const [name, value] of Object.entries(block)) {
        if (name in config.locals) throw new Error(`local.${name} declared twice (again in ${file})`);
        config.locals[name] = value;
      }
    }
    for (const [name, blocks] of Object.entries((json.variable ?? {}) as Record<string, Block[]>)) {
      config.variables[name] = blocks[0]!;
    }
    for (const [name, blocks] of Object.entries((json.output ?? {}) as Record<string, Block[]>)) {
      config.outputs[name] = blocks[0]!;
    }
    config.terraform.push(...((json.terraform ?? []) as Block[]));
  }
  return config;
}

/** The single nested block `name` of `block` (hcl2json wraps nested blocks in arrays). */
export function only(block: Block | undefined, name: string): Block {
  const list = block?.[name];
  if (!Array.isArray(list) || list.length !== 1) {
    throw new Error(`expected exactly one "${name}" block, got ${JSON.stringify(list)}`);
  }
  return list[0] as Block;
}

/** Every string anywhere in a parsed structure, with the path that leads to it. */
export function strings(value: unknown, at = ''): Array<{ at: string; value: string }> {
  if (typeof value === 'string') return [{ at, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => strings(v, at ? `${at}.${k}` : k));
  }
  return [];
}

export function hasTerraform(): boolean {
  return spawnSync('terraform', ['version'], { stdio: 'ignore' }).status === 0;
}

export interface RunResult {
  ok: boolean;
  value: unknown;
  output: string;
}

/**
 * Runs terraform in a scratch copy of the repository layout holding only
 * topology.json, locals.tf, variables.tf and auth.tf (plus `extraTf`), which need no
 * provider and therefore no `terraform init`.
 */
function runScratch(args: string[], input: string, extraTf = ''): { status: number | null; stdout: string; output: string } {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'convotic-tf-'));
  try {
    mkdirSync(path.join(scratch, 'terraform'));
    copyFileSync(path.join(REPO_ROOT, 'topology.json'), path.join(scratch, 'topology.json'));
    for (const file of ['locals.tf', 'variables.tf', 'auth.tf']) {
      copyFileSync(path.join(TF_DIR, file), path.join(scratch, 'terraform', file));
    }
    if (extraTf) writeFileSync(path.join(scratch, 'terraform', 'scratch.tf'), extraTf);
    const run = spawnSync('terraform', args, {
      cwd: path.join(scratch, 'terraform'),
      input,
      encoding: 'utf8',
      env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
    });
    return { status: run.status, stdout: run.stdout, output: `${run.stdout}\n${run.stderr}` };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const varArgs = (vars: Record<string, string>): string[] => Object.entries(vars).map(([k, v]) => `-var=${k}=${v}`);

/**
 * Evaluates `expression` against locals.tf and the real topology.json with the
 * given variables; wrapped in jsonencode so the result comes back as JSON.
 * (The console does not run variable validation: see plan().)
 */
export function evaluate(expression: string, vars: Record<string, string>): RunResult {
  // The console reads one expression per line.
  const input = `jsonencode(${expression.replace(/\s*\n\s*/g, ' ')})\n`;
  const run = runScratch(['console', ...varArgs(vars)], input);
  const line = run.stdout.split('\n').find((l) => l.startsWith('"'));
  if (run.status !== 0 || !line) return { ok: false, value: undefined, output: run.output };
  return { ok: true, value: JSON.parse(JSON.parse(line) as string), output: run.output };
}

/** Plans locals.tf + variables.tf with the given variables: runs variable validation. */
export function plan(vars: Record<string, string>): RunResult {
  const run = runScratch(
    ['plan', '-input=false', '-lock=false', '-no-color', ...varArgs(vars)],
    '',
    'output "function_names" {\n  value = local.function_names\n}\n',
  );
  return { ok: run.status === 0, value: undefined, output: run.output };
}
