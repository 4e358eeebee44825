/**
 * `terraform validate` and `terraform test` (terraform/tests/*.tftest.hcl) on a
 * scratch copy of terraform/, checked against the real schemas of the
 * providers terraform/versions.tf requires (google, google-beta 6.50.0, time
 * 0.13.1) with no network: test/terraform/offline/ holds a schema-only
 * provider and the schemas (npx tsx scripts/terraform-schemas.ts writes them).
 * Every resource type, argument, block and its nesting, type and required
 * argument is checked as the real provider would; allowed values and conflicts
 * between arguments are not (the schema does not carry them).
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { configUse } from '../../scripts/terraform-schemas';
import { type RunResult, REPO_ROOT, Scratch, schemaFiles, terraformVersion } from './offline/harness';

const TF_TIMEOUT = 120_000;

let scratch: Scratch;
let tfDir: string;
let init: RunResult;

beforeAll(() => {
  if (!terraformVersion()) {
    throw new Error(
      'terraform is not on PATH: install Terraform >= 1.4 (developed and tested with 1.11) to run the offline validate and terraform test checks.',
    );
  }
  scratch = new Scratch();
  tfDir = scratch.copyRepo('repo');
  init = scratch.terraform(tfDir, ['init', '-backend=false', '-input=false']);
}, TF_TIMEOUT);

afterAll(() => scratch?.remove());

/** Fails with Terraform's own output, so a broken configuration shows why. */
function expectSuccess(r: RunResult, what: string): void {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.output}`);
}

const initWhat =
  'terraform init from the offline provider mirror (a provider or version constraint the committed schemas do not meet? see PACKAGES in scripts/terraform-schemas.ts)';
const schemaHint = 'run `npx tsx scripts/terraform-schemas.ts` to regenerate test/terraform/offline/schemas/';

test('the committed schemas cover every provider and every resource and data source type terraform/*.tf uses', async () => {
  const use = await configUse();
  const files = schemaFiles();
  const problems: string[] = [];
  const sources = files.map((f) => f.source).sort();
  const required = [...new Set(Object.values(use.providers))].sort();
  if (JSON.stringify(sources) !== JSON.stringify(required))
    problems.push(`schemas for ${sources.join(', ')} but versions.tf requires ${required.join(', ')}`);
  for (const [source, types] of Object.entries(use.types)) {
    const f = files.find((x) => x.source === source);
    for (const t of types.resources) if (!f?.resource_schemas[t]) problems.push(`no schema for resource ${t} (${source})`);
    for (const t of types.data) if (!f?.data_source_schemas[t]) problems.push(`no schema for data source ${t} (${source})`);
  }
  if (problems.length) throw new Error(`${problems.join('\n')}\n=> ${schemaHint}`);
});

test(
  'terraform validate accepts the configuration against the real provider schemas',
  () => {
    expectSuccess(init, initWhat);
    const r = scratch.terraform(tfDir, ['validate']);
    expectSuccess(r, `terraform validate (if a type is missing, ${schemaHint})`);
    expect(r.output).toContain('Success! The configuration is valid.');
    // Terraform took every schema from our provider processes, not from anywhere else.
    const served = new Set(
      scratch
        .calls()
        .filter((l) => / GetProviderSchema$/.test(l))
        .map((l) => l.split(' ')[0]),
    );
    expect([...served].sort()).toEqual(
      schemaFiles()
        .map((f) => f.source.split('/').pop())
        .sort(),
    );
  },
  TF_TIMEOUT,
);

test(
  'terraform test plans and applies the whole configuration with mock providers and its assertions hold',
  () => {
    expectSuccess(init, initWhat);
    const tests = readdirSync(path.join(REPO_ROOT, 'terraform/tests')).filter((f) => f.endsWith('.tftest.hcl'));
    expect(tests).toContain('pipeline.tftest.hcl');
    const r = scratch.terraform(tfDir, ['test']);
    expectSuccess(r, 'terraform test');
    for (const t of tests) expect(r.output).toContain(`tests/${t}... pass`);
    expect(r.output).toMatch(/Success! \d+ passed, 0 failed\./);
    // Mocks planned and applied everything: the schema-only provider was never asked to.
    expect(scratch.calls().filter((l) => / (PlanResourceChange|ApplyResourceChange|ReadResource|ReadDataSource)\b/.test(l))).toEqual([]);
  },
  TF_TIMEOUT,
);

/** Inserts `text` as the first lines of the body of `resource "<type>" "<name>"` in the copy. */
function insertIntoResource(dir: string, type: string, name: string, text: string): void {
  const header = new RegExp(`^resource\\s+"${type}"\\s+"${name}"\\s*\\{[ \\t]*$`, 'm');
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.tf'))) {
    const file = path.join(dir, f);
    const src = readFileSync(file, 'utf8');
    const m = header.exec(src);
    if (!m) continue;
    const at = m.index + m[0].length;
    writeFileSync(file, `${src.slice(0, at)}\n${text}\n${src.slice(at)}`);
    return;
  }
  throw new Error(`resource "${type}" "${name}" not found in terraform/*.tf`);
}

test(
  'the check has teeth: an unknown argument, a block at the wrong depth and a second single block fail validate',
  () => {
    const broken = scratch.copyRepo('broken');
    // Independent resources: Terraform does not validate what depends on a resource that failed.
    insertIntoResource(broken, 'google_pubsub_subscription', 'pull', '  ack_deadline_secs = 60');
    // oidc_token belongs inside push_config.
    insertIntoResource(broken, 'google_pubsub_subscription', 'pull', '  oidc_token {\n    service_account_email = "x@example.com"\n  }');
    // build_config is a list block with max_items = 1 in the provider.
    insertIntoResource(broken, 'google_cloudfunctions2_function', 'fn', '  build_config {}');
    expectSuccess(scratch.terraform(broken, ['init', '-backend=false', '-input=false']), 'terraform init of the broken copy');
    const r = scratch.terraform(broken, ['validate']);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('Error: Unsupported argument');
    expect(r.output).toContain('An argument named "ack_deadline_secs" is not expected here.');
    expect(r.output).toContain('Error: Unsupported block type');
    expect(r.output).toContain('Blocks of type "oidc_token" are not expected here.');
    expect(r.output).toMatch(/Error: Too many build_config blocks/);
  },
  TF_TIMEOUT,
);
