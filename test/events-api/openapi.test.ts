/**
 * The events API's OpenAPI document: valid OpenAPI 3.1 (checked by a
 * maintained validator, @seriousme/openapi-schema-validator), every route of
 * the API in it, the repo's copy up to date, and the conformance checker the
 * integration tests use able to tell a conforming answer from one that is not.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createEventsApi } from '../../shared/events-api/app';
import { openApiDocument, OPERATIONS } from '../../shared/events-api/openapi';
import { PROBLEM_TYPES } from '../../shared/events-api/problems';
import { outdated, OPENAPI_FILE } from '../../scripts/write-schema';
import { conformanceChecker } from '../helpers/openapi-conformance';

const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };

const ROOT = path.resolve(__dirname, '../..');

/** The validator's verdict on `document`; it ships ES modules only, so it runs in a node of its own. */
function validate(document: unknown): { valid: boolean; version: string; errors: unknown[] } {
  const script = `import { Validator } from '@seriousme/openapi-schema-validator';
    let input = ''; for await (const chunk of process.stdin) input += chunk;
    const v = new Validator(); const r = await v.validate(JSON.parse(input));
    console.log(JSON.stringify({ valid: r.valid, version: v.version, errors: r.errors ?? [] }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    input: JSON.stringify(document),
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`the validator failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { valid: boolean; version: string; errors: unknown[] };
}

test('the document is valid OpenAPI 3.1', () => {
  expect(validate(doc)).toEqual({ valid: true, version: '3.1', errors: [] });
});

test('the validator refuses a broken document (so the test above can fail)', () => {
  const broken = JSON.parse(JSON.stringify(doc)) as { paths: Record<string, Record<string, { parameters: Array<{ in: string }> }>> };
  broken.paths['/workspaces/{ws}/events']!.get!.parameters[0]!.in = 'body';
  expect(validate(broken).valid).toBe(false);
});

test('every route of the API is an operation of the document, and every operation a route', () => {
  const api = createEventsApi({ authorize: async () => ({ ok: true }) });
  // The Event Log page (HTML at / and /assets/) is not part of the JSON API's contract.
  const routes = api.routes
    .filter((r) => r.pattern !== '/' && !r.pattern.startsWith('/assets'))
    .map((r) => `${r.method} ${r.pattern.replace(/:(\w+)/g, '{$1}')}`);
  const operations = OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`);
  // /problems/{code} is served by serveJsonApi for every JSON API, outside the route table.
  expect(routes.sort()).toEqual(operations.filter((o) => o !== 'GET /problems/{code}').sort());
});

test('schema/events-api.openapi.json is what npm run schema writes', () => {
  expect(outdated()).not.toContain(path.relative(ROOT, OPENAPI_FILE));
});

test('every problem type is in the docs table of problem types', () => {
  const docs = readFileSync(path.join(ROOT, 'docs', 'events-api.md'), 'utf8');
  for (const code of Object.keys(PROBLEM_TYPES))
    expect({ code, documented: docs.includes(`\`${code}\``) }).toEqual({ code, documented: true });
});

test('every problem type is listed in the Problem schema', () => {
  const problem =
    JSON.stringify(doc)
      .match(/one of ([a-z_, ]+)"/g)
      ?.join(' ') ?? '';
  for (const code of Object.keys(PROBLEM_TYPES)) expect(problem).toContain(code);
});

describe('the conformance checker', () => {
  const { problems } = conformanceChecker();
  const list = { items: [], next_cursor: null };
  const ok = {
    method: 'GET',
    path: '/workspaces/ws_a/events',
    status: 200,
    contentType: 'application/json; charset=utf-8',
    requestId: 'r1',
  };

  it('passes an answer that matches its operation', () => {
    expect(problems({ ...ok, body: JSON.stringify(list) })).toBeUndefined();
  });

  it('fails a body of another shape, an undocumented status, another content type, a missing request id', () => {
    expect(problems({ ...ok, body: JSON.stringify({ events: [], next_cursor: null }) })).toMatch(/items/);
    expect(problems({ ...ok, status: 418, body: '{}' })).toMatch(/418/);
    expect(problems({ ...ok, contentType: 'text/html', body: '<p>' })).toMatch(/text\/html/);
    expect(problems({ ...ok, requestId: null, body: JSON.stringify(list) })).toMatch(/X-Request-Id/);
  });

  it('holds errors, and paths the API does not have, to problem+json', () => {
    const problem = {
      type: '/problems/not_found',
      title: 'Not found',
      status: 404,
      detail: 'no route for /nope',
      instance: '/nope',
      code: 'not_found',
      request_id: 'r1',
    };
    const answer = { ...ok, path: '/nope', status: 404, contentType: 'application/problem+json; charset=utf-8' };
    expect(problems({ ...answer, body: JSON.stringify(problem) })).toBeUndefined();
    expect(problems({ ...answer, body: JSON.stringify({ error: 'not_found', message: 'x' }) })).toMatch(/required/);
    expect(problems({ ...answer, contentType: 'application/json', body: JSON.stringify(problem) })).toMatch(/content type/);
  });
});
