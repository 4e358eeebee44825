/**
 * Holds the events API's real answers to its OpenAPI document: every answer a
 * test file gets from a watched API (status, content type, body,
 * X-Request-Id) is checked against the document's response for that
 * operation, with ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses). Call
 * `checkAnswersConform()` at the top of an events-API test file and `watch`
 * the API's URL once it listens; the file then fails in afterAll, listing
 * each answer that does not conform.
 */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../shared/events-api/openapi';

interface MediaObject {
  schema: { $ref?: string } & Record<string, unknown>;
}
interface ResponseObject {
  content?: Record<string, MediaObject>;
  headers?: Record<string, unknown>;
}
interface OperationObject {
  responses: Record<string, ResponseObject>;
}

type Doc = { paths: Record<string, Record<string, OperationObject>>; components: { schemas: Record<string, object> } };

export interface Answer {
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  requestId: string | null;
  body: string;
}

/** The document as the API serves it, and a checker of answers against it. */
export function conformanceChecker(doc: Doc = openApiDocument() as unknown as Doc) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validators = new Map<string, ValidateFunction>();
  const validator = (schema: MediaObject['schema']): ValidateFunction => {
    const name = schema.$ref?.replace('#/components/schemas/', '');
    const key = name ?? JSON.stringify(schema);
    let v = validators.get(key);
    if (!v) validators.set(key, (v = ajv.compile(name ? (doc.components.schemas[name] as object) : schema)));
    return v;
  };
  const templates = Object.keys(doc.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));

  /** The operation's template for `path`; literal segments win over parameters (/unrouted/x before /unrouted/{id}...). */
  function templateOf(path: string): string | undefined {
    const hits = templates.filter((t) => t.pattern.test(path)).map((t) => t.template);
    return hits.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))[0];
  }

  /** Why `answer` does not conform to the document, or undefined when it does. */
  function problems(answer: Answer): string | undefined {
    if (!answer.requestId) return 'no X-Request-Id';
    const template = templateOf(answer.path);
    const op = template ? doc.paths[template]?.[answer.method.toLowerCase()] : undefined;
    // A path or method the API does not have: the document promises a problem answer (404/405) for those.
    const response = op
      ? op.responses[String(answer.status)]
      : { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    if (!response) return `status ${answer.status} is not documented for ${answer.method} ${template}`;
    if (!response.content) return answer.body.length ? 'a body where the document has none' : undefined;
    const media = (answer.contentType ?? '').split(';')[0]?.trim() ?? '';
    const content = response.content[media];
    if (!content) return `content type ${media || '(none)'} is not one of ${Object.keys(response.content).join(', ')}`;
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      return 'the body is not JSON';
    }
    const validate = validator(content.schema);
    return validate(body) ? undefined : ajv.errorsText(validate.errors);
  }

  return { problems, templateOf };
}

/**
 * Wraps the global fetch for this test file: answers from watched base URLs
 * are recorded and checked; afterAll fails with the answers that do not
 * conform. Returns `watch(baseUrl)` and the recorded answers.
 */
export function checkAnswersConform(): { watch: (baseUrl: string) => void; answers: Answer[] } {
  const checker = conformanceChecker();
  const bases: string[] = [];
  const answers: Answer[] = [];
  const failures: string[] = [];
  const realFetch = globalThis.fetch;
  beforeAll(() => {
    globalThis.fetch = async (input, init) => {
      const res = await realFetch(input, init);
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      if (!bases.includes(url.origin)) return res;
      const answer: Answer = {
        method: (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase(),
        path: url.pathname,
        status: res.status,
        contentType: res.headers.get('content-type'),
        requestId: res.headers.get('x-request-id'),
        body: await res.clone().text(),
      };
      answers.push(answer);
      const why = checker.problems(answer);
      if (why) failures.push(`${answer.method} ${answer.path} -> ${answer.status}: ${why}`);
      return res;
    };
  });
  afterAll(() => {
    globalThis.fetch = realFetch;
    // A file that watched an API but recorded nothing checked nothing: say so rather than pass.
    if (bases.length) expect(answers.length).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  });
  return { watch: (baseUrl) => bases.push(new URL(baseUrl).origin), answers };
}
