/**
 * Requests checked against their schema (schemas.ts), with one answer per
 * kind of mistake: a name the schema does not have is `unknown_parameter`, a
 * value of the wrong shape `invalid_parameter` (a query parameter, or a list
 * filter in a body) or `invalid_body` (another body field), naming the field
 * and what it must be (the schema's description).
 */
import type { Static, TObject } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { badRequest } from './http';

const compiled = new WeakMap<TObject, TypeCheck<TObject>>();
function checker(schema: TObject): TypeCheck<TObject> {
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = TypeCompiler.Compile(schema)));
  return check;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function expectation(schema: TObject, name: string): string {
  const description = (schema.properties[name] as { description?: string } | undefined)?.description;
  return description ? ` must be ${description}` : ' is not valid';
}

/**
 * `input` as the schema's type, or the 400 to answer. `where` says how the
 * fields are named in messages (`query` parameters, or a `body` field under
 * an optional prefix such as `filter.`).
 */
export function checked<T extends TObject>(
  schema: T,
  input: unknown,
  where: { in: 'query' | 'body'; prefix?: string; invalid?: 'invalid_parameter' },
): Static<T> {
  const invalid = where.invalid ?? (where.in === 'query' ? 'invalid_parameter' : 'invalid_body');
  const prefix = where.prefix ?? '';
  if (!isObject(input)) throw badRequest('invalid_body', `${prefix ? prefix.replace(/\.$/, '') : 'the body'} must be a JSON object`);
  const names = Object.keys(schema.properties);
  const unknown = Object.keys(input).filter((k) => !names.includes(k));
  if (unknown.length && schema.additionalProperties === false) {
    throw badRequest(
      'unknown_parameter',
      `unknown ${where.in === 'query' ? 'parameter' : 'field'}(s) ${unknown.map((k) => prefix + k).join(', ')}; accepted: ${names.map((k) => prefix + k).join(', ')}`,
    );
  }
  const check = checker(schema);
  if (check.Check(input)) return input as Static<T>;
  const first = check.Errors(input).First();
  const name = first?.path.split('/')[1] ?? '';
  const value = input[name];
  if (where.in === 'query' && value !== undefined && typeof value !== 'string')
    throw badRequest(invalid, `${prefix}${name} must be given once, as a string`);
  if (value === undefined) throw badRequest(invalid, `${prefix}${name || 'a field'} is required`);
  throw badRequest(invalid, `${prefix}${name}${expectation(schema, name)}, got ${JSON.stringify(value)?.slice(0, 100)}`);
}
