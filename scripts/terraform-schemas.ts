/**
 * Writes test/terraform/offline/schemas/<provider>.json: the Terraform schema of
 * every provider terraform/versions.tf requires, trimmed to the provider block
 * and the resource and data source types terraform/*.tf use. The offline test
 * provider (test/terraform/offline/provider-server.js) serves these, so
 * `terraform validate` and `terraform test` check the configuration against the
 * real providers' schemas without the registry.
 *
 *   npx tsx scripts/terraform-schemas.ts              # after changing terraform/*.tf
 *   npx tsx scripts/terraform-schemas.ts --check-all  # convert every type of every package, write nothing
 *
 * Source: the prebuilt cdktf bindings on npm (`npm pack`, no install). They are
 * generated from `terraform providers schema -json` of a pinned provider
 * release, and each module keeps its TypeScript source in an inline source map.
 * That source holds what the schema holds, in three places this script reads
 * with the TypeScript parser and checks against each other:
 *  - a `// name - computed: C, optional: O, required: R` comment before each
 *    attribute's members (the flags as the provider declares them);
 *  - the `*ToHclTerraform` / `synthesizeHclAttributes` tables: every settable
 *    argument with its storage type and, for nested blocks, the nesting (list,
 *    set, or struct for a single block);
 *  - the getters and `new XList(this, "name", wrapsSet)` / `new XOutputReference`
 *    members: the types of computed-only attributes and the max-1 blocks
 *    (cdktf makes a list or set block with max_items = 1 an OutputReference).
 * Documentation ("<name> block") tells blocks from attributes of object type.
 * Not carried by the bindings, so not checked offline: sensitive flags,
 * descriptions, validators, ConflictsWith/ExactlyOneOf, defaults, min_items
 * other than 1 and max_items other than 1, schema versions.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from '@cdktf/hcl2json';
import ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const TF_DIR = path.join(ROOT, 'terraform');
export const SCHEMA_DIR = path.join(ROOT, 'test/terraform/offline/schemas');

/**
 * The cdktf package for each provider, and the provider release it was generated
 * from (checked against the package's own `cdktf.provider` field). To move to a
 * newer provider, pick the package version whose `cdktf.provider.version` is it
 * (`npm view @cdktf/provider-google@X cdktf`).
 */
const PACKAGES: Record<string, { npm: string; version: string; provider: string }> = {
  'registry.terraform.io/hashicorp/google': { npm: '@cdktf/provider-google', version: '16.12.1', provider: '6.50.0' },
  'registry.terraform.io/hashicorp/google-beta': { npm: '@cdktf/provider-google-beta', version: '16.12.1', provider: '6.50.0' },
  'registry.terraform.io/hashicorp/time': { npm: '@cdktf/provider-time', version: '11.0.1', provider: '0.13.1' },
};

// ---------------------------------------------------------------------------
// The Terraform schema shapes (as in `terraform providers schema -json`)

export type TfType = string | [string, TfType] | ['object', Record<string, TfType>];
export interface TfAttribute {
  type: TfType;
  required?: true;
  optional?: true;
  computed?: true;
}
export interface TfBlockType {
  nesting_mode: 'single' | 'list' | 'set' | 'map';
  block: TfBlock;
  min_items?: number;
  max_items?: number;
}
export interface TfBlock {
  attributes: Record<string, TfAttribute>;
  block_types: Record<string, TfBlockType>;
}
export interface TfSchema {
  version: number;
  block: TfBlock;
}
export interface ProviderSchemaFile {
  source: string;
  version: string;
  generated_from: string;
  provider: TfSchema;
  resource_schemas: Record<string, TfSchema>;
  data_source_schemas: Record<string, TfSchema>;
}

// ---------------------------------------------------------------------------
// What the configuration uses

export interface ConfigUse {
  /** local name => source address, from required_providers */
  providers: Record<string, string>;
  /** source address => { resource types, data source types } */
  types: Record<string, { resources: Set<string>; data: Set<string> }>;
}

const fullSource = (source: string): string => (source.split('/').length === 2 ? `registry.terraform.io/${source}` : source).toLowerCase();

/** The provider a resource or data block belongs to: its `provider` argument, else the type's prefix. */
function providerLocalName(type: string, block: Record<string, unknown>): string {
  const explicit = block.provider;
  if (typeof explicit === 'string') return explicit.replace(/^\$\{|\}$/g, '').split('.')[0]!;
  return type.split('_')[0]!;
}

export async function configUse(tfDir = TF_DIR): Promise<ConfigUse> {
  const providers: Record<string, string> = {};
  const types: ConfigUse['types'] = {};
  const uses: Array<{ kind: 'resources' | 'data'; type: string; local: string; where: string }> = [];
  for (const file of readdirSync(tfDir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    const json = (await parse(file, readFileSync(path.join(tfDir, file), 'utf8'))) as Record<string, unknown>;
    for (const tf of (json.terraform ?? []) as Array<Record<string, unknown>>) {
      for (const rp of (tf.required_providers ?? []) as Array<Record<string, { source?: string } | string>>) {
        for (const [local, req] of Object.entries(rp)) {
          const source = typeof req === 'string' || !req.source ? `hashicorp/${local}` : req.source;
          providers[local] = fullSource(source);
        }
      }
    }
    // Top-level resources and data sources, and the data sources scoped to check blocks.
    const bodies = [json, ...Object.values((json.check ?? {}) as Record<string, Array<Record<string, unknown>>>).flat()];
    for (const body of bodies) {
      for (const [kind, key] of [
        ['resources', 'resource'],
        ['data', 'data'],
      ] as const) {
        for (const [type, byName] of Object.entries((body[key] ?? {}) as Record<string, Record<string, Array<Record<string, unknown>>>>)) {
          for (const [name, blocks] of Object.entries(byName)) {
            for (const block of blocks)
              uses.push({
                kind,
                type,
                local: providerLocalName(type, block),
                where: `${file}: ${key === 'data' ? 'data.' : ''}${type}.${name}`,
              });
          }
        }
      }
    }
  }
  for (const use of uses) {
    if (use.local === 'terraform') continue; // built in: terraform_data
    const source = providers[use.local];
    if (!source)
      throw new Error(`${use.where} uses provider "${use.local}", which terraform/versions.tf does not list in required_providers`);
    types[source] ??= { resources: new Set(), data: new Set() };
    types[source]![use.kind].add(use.type);
  }
  for (const source of Object.values(providers)) types[source] ??= { resources: new Set(), data: new Set() };
  return { providers, types };
}

// ---------------------------------------------------------------------------
// Reading a cdktf binding module

interface HclEntry {
  isBlock: boolean;
  type: string;
  storageClassType: string;
}
interface Flags {
  computed: boolean;
  optional: boolean;
  required: boolean;
}
interface Member {
  name: string;
  flags: Flags;
  /** `new Ctor(this, "name", wrapsSet?)` */
  ctor?: { name: string; wrapsSet?: boolean };
  /** the main getter's return expression */
  getter?: ts.Expression;
}

class Module {
  readonly sf: ts.SourceFile;
  readonly classes = new Map<string, ts.ClassDeclaration>();
  readonly interfaces = new Map<string, ts.InterfaceDeclaration>();
  /** struct interface name => its *ToHclTerraform table */
  readonly hcl = new Map<string, Map<string, HclEntry>>();

  constructor(
    readonly file: string,
    src: string,
  ) {
    this.sf = ts.createSourceFile(file, src, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
    for (const st of this.sf.statements) {
      if (ts.isClassDeclaration(st) && st.name) this.classes.set(st.name.text, st);
      else if (ts.isInterfaceDeclaration(st)) this.interfaces.set(st.name.text, st);
      else if (ts.isFunctionDeclaration(st) && st.name && /ToHclTerraform$/.test(st.name.text) && st.body) {
        const param = st.parameters[0]?.type;
        const names = !param ? [] : ts.isUnionTypeNode(param) ? param.types.map((t) => t.getText(this.sf)) : [param.getText(this.sf)];
        const struct = names.find((n) => !n.startsWith('cdktf.') && !n.endsWith('OutputReference'));
        if (!struct) throw new Error(`${file}: cannot tell the struct of ${st.name.text}`);
        this.hcl.set(struct, this.attrsTable(st.body, st.name.text));
      }
    }
  }

  fail(msg: string): never {
    throw new Error(`${this.file}: ${msg}`);
  }

  /** The `const attrs = { name: { value, isBlock, type, storageClassType }, ... }` table in a function body. */
  attrsTable(body: ts.Block, where: string): Map<string, HclEntry> {
    const out = new Map<string, HclEntry>();
    let found = false;
    const visit = (node: ts.Node): void => {
      if (
        ts.isVariableDeclaration(node) &&
        node.name.getText(this.sf) === 'attrs' &&
        node.initializer &&
        ts.isObjectLiteralExpression(node.initializer)
      ) {
        found = true;
        for (const prop of node.initializer.properties) {
          if (!ts.isPropertyAssignment(prop) || !ts.isObjectLiteralExpression(prop.initializer))
            this.fail(`${where}: unexpected attrs entry ${prop.getText(this.sf).slice(0, 80)}`);
          const name = ts.isStringLiteral(prop.name) ? prop.name.text : prop.name.getText(this.sf);
          const fields: Record<string, ts.Expression> = {};
          for (const f of prop.initializer.properties) if (ts.isPropertyAssignment(f)) fields[f.name.getText(this.sf)] = f.initializer;
          const isBlock =
            fields.isBlock?.kind === ts.SyntaxKind.TrueKeyword
              ? true
              : fields.isBlock?.kind === ts.SyntaxKind.FalseKeyword
                ? false
                : undefined;
          const type = fields.type && ts.isStringLiteral(fields.type) ? fields.type.text : undefined;
          const sct = fields.storageClassType && ts.isStringLiteral(fields.storageClassType) ? fields.storageClassType.text : undefined;
          if (isBlock === undefined || !type || !sct) this.fail(`${where}: incomplete attrs entry ${name}`);
          out.set(name, { isBlock, type, storageClassType: sct });
        }
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(body);
    if (!found) this.fail(`${where}: no attrs table`);
    return out;
  }

  classOf(name: string): ts.ClassDeclaration {
    return this.classes.get(name) ?? this.fail(`class ${name} not found`);
  }

  baseOf(cls: ts.ClassDeclaration): string {
    return cls.heritageClauses?.[0]?.types[0]?.expression.getText(this.sf) ?? '';
  }

  /** The attributes a class declares, from the `// name - computed: ...` comments and the members after each. */
  members(cls: ts.ClassDeclaration): Map<string, Member> {
    const out = new Map<string, Member>();
    let current: Member | undefined;
    for (const m of cls.members) {
      const comments = ts.getLeadingCommentRanges(this.sf.text, m.getFullStart()) ?? [];
      for (const c of comments) {
        const hit = /^\/\/ (\w+) - computed: (true|false), optional: (true|false), required: (true|false)$/.exec(
          this.sf.text.slice(c.pos, c.end).trim(),
        );
        if (hit) {
          current = { name: hit[1]!, flags: { computed: hit[2] === 'true', optional: hit[3] === 'true', required: hit[4] === 'true' } };
          if (out.has(current.name)) this.fail(`${cls.name?.text}.${current.name} declared twice`);
          out.set(current.name, current);
        }
      }
      if (!current) continue;
      if (ts.isPropertyDeclaration(m) && m.initializer && ts.isNewExpression(m.initializer)) {
        const [self, nameArg, wraps] = m.initializer.arguments ?? [];
        if (self?.kind === ts.SyntaxKind.ThisKeyword && nameArg && ts.isStringLiteral(nameArg) && nameArg.text === current.name) {
          current.ctor = {
            name: m.initializer.expression.getText(this.sf),
            ...(wraps ? { wrapsSet: wraps.kind === ts.SyntaxKind.TrueKeyword } : {}),
          };
        }
      } else if (ts.isGetAccessorDeclaration(m) && !current.getter && m.body) {
        const ret = m.body.statements.find(ts.isReturnStatement);
        if (ret?.expression) current.getter = ret.expression;
      }
    }
    return out;
  }

  /** Terraform name => "<name> block" doc or not, from a config/struct interface's property docs. */
  interfaceProps(name: string): Map<string, { block: boolean; optional: boolean }> {
    const out = new Map<string, { block: boolean; optional: boolean }>();
    const iface = this.interfaces.get(name);
    if (!iface) return out;
    for (const p of iface.members) {
      if (!ts.isPropertySignature(p)) continue;
      const doc = (ts.getLeadingCommentRanges(this.sf.text, p.getFullStart()) ?? [])
        .map((c) => this.sf.text.slice(c.pos, c.end))
        .join('\n');
      const link = /\{@link \S+#(\w+) /.exec(doc);
      if (!link) continue;
      const tfName = link[1]!;
      const firstLine = doc
        .split('\n')
        .map((l) => l.replace(/^\s*\/?\*+\/?\s?/, '').trim())
        .find((l) => l.length > 0);
      out.set(tfName, { block: firstLine === `${tfName} block`, optional: !!p.questionToken });
    }
    return out;
  }
}

const PRIMITIVE_GETTERS: Record<string, TfType> = {
  getStringAttribute: 'string',
  getNumberAttribute: 'number',
  getBooleanAttribute: 'bool',
  getListAttribute: ['list', 'string'],
  getNumberListAttribute: ['list', 'number'],
  getStringMapAttribute: ['map', 'string'],
  getNumberMapAttribute: ['map', 'number'],
  getBooleanMapAttribute: ['map', 'bool'],
  getAnyMapAttribute: ['map', 'dynamic'],
};

/** cdktf's own complex attribute classes (computed-only maps and lists of maps/lists). */
function cdktfComplex(ctor: string, wrapsSet: boolean | undefined): TfType | undefined {
  const m = /^cdktf\.(String|Number|Boolean|Any)(Map|List)?(List|Map)$/.exec(ctor);
  if (!m) return undefined;
  const elem: TfType = { String: 'string', Number: 'number', Boolean: 'bool', Any: 'dynamic' }[m[1] as 'String']!;
  const inner: TfType = m[2] ? [m[2] === 'Map' ? 'map' : 'list', elem] : elem;
  if (m[3] === 'Map') return ['map', inner];
  return [wrapsSet ? 'set' : 'list', inner];
}

function storageType(mod: Module, where: string, h: HclEntry): TfType {
  const base: Record<string, TfType> = {
    string: 'string',
    number: 'number',
    boolean: 'bool',
    stringList: ['list', 'string'],
    numberList: ['list', 'number'],
    booleanList: ['list', 'bool'],
    stringMap: ['map', 'string'],
    numberMap: ['map', 'number'],
    booleanMap: ['map', 'bool'],
    anyMap: ['map', 'dynamic'],
  };
  const t = base[h.storageClassType];
  if (t === undefined) mod.fail(`${where}: unknown storage type ${h.storageClassType}`);
  const kind = Array.isArray(t) ? t[0] : 'simple';
  if (h.type === 'set' && kind === 'list') return ['set', (t as [string, TfType])[1]];
  if (h.type !== kind) mod.fail(`${where}: storage ${h.storageClassType} with type ${h.type}`);
  return t;
}

/** Type of a computed attribute from its getter or its complex member. */
function getterType(mod: Module, where: string, member: Member, stack: string[]): TfType {
  if (member.ctor) {
    const t = cdktfComplex(member.ctor.name, member.ctor.wrapsSet);
    if (t) return t;
    const cls = mod.classOf(member.ctor.name);
    const base = mod.baseOf(cls);
    if (base === 'cdktf.ComplexObject') return ['object', objectType(mod, member.ctor.name, stack)];
    const elemClass = elementClass(mod, cls);
    if (base === 'cdktf.ComplexList') return [member.ctor.wrapsSet ? 'set' : 'list', ['object', objectType(mod, elemClass, stack)]];
    if (base === 'cdktf.ComplexMap') return ['map', ['object', objectType(mod, elemClass, stack)]];
    mod.fail(`${where}: member class ${member.ctor.name} extends ${base}`);
  }
  const g = member.getter;
  if (!g) mod.fail(`${where}: no getter`);
  let expr: ts.Expression = g;
  let set = false;
  // cdktf.Fn.tolist(this.getListAttribute('x')): a set (tolist only makes it indexable)
  if (ts.isCallExpression(expr) && expr.expression.getText(mod.sf) === 'cdktf.Fn.tolist' && expr.arguments[0]) {
    set = true;
    expr = expr.arguments[0];
  }
  if (
    ts.isCallExpression(expr) &&
    ts.isPropertyAccessExpression(expr.expression) &&
    expr.expression.expression.kind === ts.SyntaxKind.ThisKeyword
  ) {
    const fn = expr.expression.name.text;
    const arg = expr.arguments[0];
    const t = PRIMITIVE_GETTERS[fn];
    if (t !== undefined && arg && ts.isStringLiteral(arg) && arg.text === member.name) {
      if (!set) return t;
      if (Array.isArray(t) && t[0] === 'list') return ['set', t[1]];
    }
  }
  return mod.fail(`${where}: cannot type getter ${g.getText(mod.sf).slice(0, 120)}`);
}

/** The OutputReference class a ComplexList/ComplexMap hands out from get(). */
function elementClass(mod: Module, cls: ts.ClassDeclaration): string {
  for (const m of cls.members) {
    if (!ts.isMethodDeclaration(m) || m.name.getText(mod.sf) !== 'get' || !m.body) continue;
    const ret = m.body.statements.find(ts.isReturnStatement);
    if (ret?.expression && ts.isNewExpression(ret.expression)) return ret.expression.expression.getText(mod.sf);
  }
  return mod.fail(`${cls.name?.text}: no get() returning an element`);
}

/** Object type of a computed nested value: every attribute the element class declares. */
function objectType(mod: Module, className: string, stack: string[]): Record<string, TfType> {
  if (stack.includes(className)) mod.fail(`recursive type ${[...stack, className].join(' > ')}`);
  const out: Record<string, TfType> = {};
  for (const [name, member] of mod.members(mod.classOf(className))) {
    out[name] = getterType(mod, `${className}.${name}`, member, [...stack, className]);
  }
  return out;
}

/**
 * The block a class describes. `hcl` is its settable-argument table (absent for
 * a provider's nested structs, which have no class); `iface` its config interface.
 */
function buildBlock(mod: Module, className: string | undefined, hcl: Map<string, HclEntry>, iface: string, stack: string[]): TfBlock {
  const block: TfBlock = { attributes: {}, block_types: {} };
  const members = className ? mod.members(mod.classOf(className)) : new Map<string, Member>();
  const props = mod.interfaceProps(iface);
  const where = (n: string): string => `${className ?? iface}.${n}`;
  const flagsOf = (name: string): Flags => {
    const m = members.get(name);
    if (m) return m.flags;
    if (className) mod.fail(`${where(name)}: in the HCL table but has no flags comment`);
    const p = props.get(name) ?? mod.fail(`${where(name)}: not in interface ${iface}`);
    return { computed: false, optional: p.optional, required: !p.optional };
  };
  const attrFlags = (f: Flags): Omit<TfAttribute, 'type'> => ({
    ...(f.required ? { required: true as const } : {}),
    ...(f.optional ? { optional: true as const } : {}),
    ...(f.computed ? { computed: true as const } : {}),
  });

  for (const [name, h] of hcl) {
    const flags = flagsOf(name);
    if (!flags.optional && !flags.required) mod.fail(`${where(name)}: settable but neither optional nor required`);
    const member = members.get(name);
    if (!h.isBlock) {
      const t = storageType(mod, where(name), h);
      // Cross-check with the getter, when the class reads the value back from Terraform.
      if (member?.getter && !ts.isPropertyAccessExpression(member.getter)) {
        const g = getterType(mod, where(name), member, stack);
        // cdktf reads sets of numbers/bools through list getters; only the element type must agree.
        const loose = (x: TfType): string => JSON.stringify(Array.isArray(x) && x[0] === 'set' ? ['list', x[1]] : x);
        if (loose(g) !== loose(t)) mod.fail(`${where(name)}: table says ${JSON.stringify(t)}, getter says ${JSON.stringify(g)}`);
      }
      block.attributes[name] = { type: t, ...attrFlags(flags) };
      continue;
    }
    const prop = props.get(name);
    if (!prop) mod.fail(`${where(name)}: nested value without interface docs`);
    if (!prop.block) mod.fail(`${where(name)}: settable attribute of object type (nested attributes are not supported)`);
    const struct = h.type === 'struct' ? h.storageClassType : h.storageClassType.replace(/(List|Map)$/, '');
    if (!mod.interfaces.has(struct)) mod.fail(`${where(name)}: struct ${struct} not found`);
    let nesting: TfBlockType['nesting_mode'];
    let maxOne = false;
    const elemClass = `${struct}OutputReference`;
    // A provider's blocks are plain arrays of structs (no member objects, no max_items).
    const isProvider = !!className && mod.baseOf(mod.classOf(className)) === 'cdktf.TerraformProvider';
    const nestedClass = className && !isProvider ? elemClass : undefined;
    if (nestedClass) {
      const ctor = member?.ctor ?? mod.fail(`${where(name)}: block without a member object`);
      if (ctor.name === elemClass) maxOne = h.type !== 'struct';
      else if (ctor.name === `${struct}List` || ctor.name === `${struct}Map`) {
        if (elementClass(mod, mod.classOf(ctor.name)) !== elemClass) mod.fail(`${where(name)}: ${ctor.name} does not hold ${elemClass}`);
        if (h.type === 'list' && ctor.wrapsSet !== false) mod.fail(`${where(name)}: list block wrapping a set`);
        if (h.type === 'set' && ctor.wrapsSet !== true) mod.fail(`${where(name)}: set block not wrapping a set`);
      } else mod.fail(`${where(name)}: block member ${ctor.name} is not ${struct}*`);
    }
    if (h.type === 'struct') nesting = 'single';
    else if (h.type === 'list' || h.type === 'set' || h.type === 'map') nesting = h.type;
    else mod.fail(`${where(name)}: block of type ${h.type}`);
    const inner = buildBlock(mod, nestedClass, mod.hcl.get(struct) ?? new Map(), struct, [...stack, struct]);
    // The inner class may declare computed-only attributes the table lacks: buildBlock added them.
    const bt: TfBlockType = { nesting_mode: nesting, block: inner };
    if (nesting !== 'single' && flags.required) bt.min_items = 1;
    if (maxOne) bt.max_items = 1;
    block.block_types[name] = bt;
  }

  for (const [name, member] of members) {
    if (hcl.has(name)) continue;
    const f = member.flags;
    if (f.optional || f.required || !f.computed) mod.fail(`${where(name)}: settable (${JSON.stringify(f)}) but not in the HCL table`);
    block.attributes[name] = { type: getterType(mod, where(name), member, stack), computed: true };
  }
  return sortBlock(block);
}

function sortBlock(b: TfBlock): TfBlock {
  const sortObj = <T>(o: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(o).sort(([a], [c]) => (a < c ? -1 : a > c ? 1 : 0)));
  return { attributes: sortObj(b.attributes), block_types: sortObj(b.block_types) };
}

/** The schema of one binding module: a resource, data source or the provider. */
export function moduleSchema(file: string, src: string): { kind: 'resource' | 'data' | 'provider'; type: string; schema: TfSchema } {
  const mod: Module = new Module(file, src);
  const tops = [...mod.classes.values()].filter((c) => /^cdktf\.Terraform(Resource|DataSource|Provider)$/.test(mod.baseOf(c)));
  if (tops.length !== 1) mod.fail(`expected one resource/data source/provider class, found ${tops.length}`);
  const top = tops[0]!;
  const className = top.name!.text;
  const kinds: Record<string, 'resource' | 'data' | 'provider'> = {
    'cdktf.TerraformResource': 'resource',
    'cdktf.TerraformDataSource': 'data',
    'cdktf.TerraformProvider': 'provider',
  };
  const kind = kinds[mod.baseOf(top)]!;
  let type = '';
  let synth: ts.MethodDeclaration | undefined;
  for (const m of top.members) {
    if (ts.isPropertyDeclaration(m) && m.name.getText(mod.sf) === 'tfResourceType' && m.initializer && ts.isStringLiteral(m.initializer))
      type = m.initializer.text;
    if (ts.isMethodDeclaration(m) && m.name.getText(mod.sf) === 'synthesizeHclAttributes' && m.body) synth = m;
  }
  if (!type || !synth?.body) mod.fail(`${className}: no tfResourceType or synthesizeHclAttributes`);
  const hcl = mod.attrsTable(synth.body, `${className}.synthesizeHclAttributes`);
  const block = buildBlock(mod, className, hcl, `${className}Config`, [className]);
  // cdktf adds `alias` to every provider's schema; in Terraform it is a meta-argument.
  if (kind === 'provider') delete block.attributes.alias;
  return { kind, type, schema: { version: 0, block } };
}

// ---------------------------------------------------------------------------
// Packages

/** The TypeScript a compiled file was built from (its inline source map). */
function sourceOf(jsFile: string): string {
  const js = readFileSync(jsFile, 'utf8');
  const m = /\/\/# sourceMappingURL=data:application\/json;base64,(\S+)\s*$/.exec(js);
  if (!m) throw new Error(`${jsFile}: no inline source map`);
  const map = JSON.parse(Buffer.from(m[1]!, 'base64').toString('utf8')) as { sourcesContent?: string[] };
  const src = map.sourcesContent?.[0];
  if (!src) throw new Error(`${jsFile}: source map without sourcesContent`);
  return src;
}

/**
 * The TypeScript of a binding module. Large modules keep their structs in
 * index-structs/structsN.ts; they are appended (parsing only, so repeated
 * imports do no harm).
 */
export function moduleSource(indexJs: string): string {
  const parts = [sourceOf(indexJs)];
  const structs = path.join(path.dirname(indexJs), 'index-structs');
  if (existsSync(structs)) {
    for (const f of readdirSync(structs)
      .filter((n) => /^structs\d+\.js$/.test(n))
      .sort((a, b) => parseInt(a.slice(7), 10) - parseInt(b.slice(7), 10))) {
      parts.push(sourceOf(path.join(structs, f)));
    }
  }
  return parts.join('\n');
}

interface PackageIndex {
  dir: string;
  provider?: string;
  resources: Map<string, string>;
  data: Map<string, string>;
}

/** `npm pack`s the binding package into `tmp` and indexes its modules by Terraform type. */
function fetchPackage(source: string, tmp: string): PackageIndex {
  const pin = PACKAGES[source];
  if (!pin) throw new Error(`no cdktf package pinned for ${source}: add it to PACKAGES in scripts/terraform-schemas.ts`);
  const dest = path.join(tmp, pin.npm.replace(/[@/]/g, '_'));
  mkdirSync(dest, { recursive: true });
  const out = execFileSync('npm', ['pack', `${pin.npm}@${pin.version}`, '--pack-destination', dest, '--json', '--silent'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tgz = path.join(dest, (JSON.parse(out) as Array<{ filename: string }>)[0]!.filename);
  execFileSync('tar', ['-xzf', tgz, '-C', dest, '--wildcards', 'package/package.json', 'package/lib/*.js']);
  const dir = path.join(dest, 'package');
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    cdktf?: { provider?: { name?: string; version?: string } };
  };
  const built = pkg.cdktf?.provider;
  if (built?.name?.toLowerCase() !== source || built.version !== pin.provider) {
    throw new Error(`${pin.npm}@${pin.version} is built from ${built?.name}@${built?.version}, not ${source}@${pin.provider}`);
  }
  const index: PackageIndex = { dir, resources: new Map(), data: new Map() };
  const lib = path.join(dir, 'lib');
  for (const d of readdirSync(lib)) {
    const f = path.join(lib, d, 'index.js');
    if (!existsSync(f)) continue;
    const js = readFileSync(f, 'utf8');
    const base = /\bclass \w+ extends cdktf\.Terraform(Resource|DataSource|Provider)\b/.exec(js)?.[1];
    const type = /\.tfResourceType = "([\w-]+)"/.exec(js)?.[1];
    if (!base || !type) continue;
    if (base === 'Provider') index.provider = f;
    else (base === 'Resource' ? index.resources : index.data).set(type, f);
  }
  if (!index.provider) throw new Error(`${pin.npm}: no provider module`);
  return index;
}

function schemaOf(index: PackageIndex, file: string, expectKind: 'resource' | 'data' | 'provider', expectType?: string): TfSchema {
  const s = moduleSchema(path.relative(index.dir, file), moduleSource(file));
  if (s.kind !== expectKind || (expectType && s.type !== expectType))
    throw new Error(`${file}: is ${s.kind} ${s.type}, expected ${expectKind} ${expectType}`);
  return s.schema;
}

/** One line per type: small diffs when a type is added or changes. */
function render(file: ProviderSchemaFile): string {
  const map = (o: Record<string, TfSchema>): string => {
    const lines = Object.keys(o)
      .sort()
      .map((k) => `    ${JSON.stringify(k)}: ${JSON.stringify(o[k])}`);
    return lines.length ? `{\n${lines.join(',\n')}\n  }` : '{}';
  };
  return (
    `{\n  "source": ${JSON.stringify(file.source)},\n  "version": ${JSON.stringify(file.version)},\n  "generated_from": ${JSON.stringify(file.generated_from)},\n` +
    `  "provider": ${JSON.stringify(file.provider)},\n  "resource_schemas": ${map(file.resource_schemas)},\n  "data_source_schemas": ${map(file.data_source_schemas)}\n}\n`
  );
}

export const schemaFileName = (source: string): string => `${source.split('/').pop()}.json`;

async function main(): Promise<void> {
  const checkAll = process.argv.includes('--check-all');
  const use = await configUse();
  const sources = checkAll ? Object.keys(PACKAGES) : Object.keys(use.types).sort();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'terraform-schemas-'));
  try {
    const written = new Set<string>();
    for (const source of sources) {
      const pin = PACKAGES[source];
      if (!pin)
        throw new Error(`terraform/versions.tf requires ${source}, which has no cdktf package pinned in scripts/terraform-schemas.ts`);
      process.stderr.write(`${source}: ${pin.npm}@${pin.version} ...\n`);
      const index = fetchPackage(source, tmp);
      if (checkAll) {
        let ok = 0;
        const errors: string[] = [];
        for (const [kind, map] of [
          ['resource', index.resources],
          ['data', index.data],
        ] as const) {
          for (const [type, f] of map) {
            try {
              schemaOf(index, f, kind, type);
              ok++;
            } catch (e) {
              errors.push(`${kind} ${type}: ${(e as Error).message}`);
            }
          }
        }
        schemaOf(index, index.provider!, 'provider');
        process.stderr.write(
          `  ${ok} of ${index.resources.size + index.data.size} resource and data source types converted, provider block ok\n`,
        );
        for (const e of errors) process.stderr.write(`  ${e}\n`);
        if (errors.length) process.exitCode = 1;
        continue;
      }
      const used = use.types[source]!;
      const pick = (kind: 'resource' | 'data', names: Set<string>, map: Map<string, string>): Record<string, TfSchema> =>
        Object.fromEntries(
          [...names].sort().map((type) => {
            const f = map.get(type);
            if (!f) throw new Error(`${source}@${pin.provider} has no ${kind === 'data' ? 'data source' : 'resource'} type ${type}`);
            return [type, schemaOf(index, f, kind, type)];
          }),
        );
      const file: ProviderSchemaFile = {
        source,
        version: pin.provider,
        generated_from: `${pin.npm}@${pin.version}`,
        provider: schemaOf(index, index.provider!, 'provider'),
        resource_schemas: pick('resource', used.resources, index.resources),
        data_source_schemas: pick('data', used.data, index.data),
      };
      mkdirSync(SCHEMA_DIR, { recursive: true });
      const name = schemaFileName(source);
      writeFileSync(path.join(SCHEMA_DIR, name), render(file));
      written.add(name);
      process.stderr.write(
        `  wrote ${path.relative(ROOT, path.join(SCHEMA_DIR, name))}: ${used.resources.size} resource, ${used.data.size} data source types\n`,
      );
    }
    if (!checkAll) {
      for (const f of readdirSync(SCHEMA_DIR)) {
        if (f.endsWith('.json') && !written.has(f)) {
          rmSync(path.join(SCHEMA_DIR, f));
          process.stderr.write(`removed ${f}: its provider is no longer in terraform/versions.tf\n`);
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
