/** npm run normalize: the registry hint names the local stack's port and both variables; a sample file is recognised. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { registryProblem, sampleFileHint } from '../../scripts/lib/normalize-cli';
import { STACK_DEFAULTS } from '../../scripts/lib/stack';

describe('routing by the Block registry', () => {
  it("names the local stack's Firestore port and GOOGLE_CLOUD_PROJECT", () => {
    const text = registryProblem({}, STACK_DEFAULTS.firestorePort, STACK_DEFAULTS.projectId);
    expect(text).toContain('FIRESTORE_EMULATOR_HOST=127.0.0.1:8086 and GOOGLE_CLOUD_PROJECT=convotic-local');
    expect(text).not.toContain('8080');
    expect(text).not.toContain('--project');
  });

  it('asks only for what is missing', () => {
    expect(registryProblem({ FIRESTORE_EMULATOR_HOST: '127.0.0.1:9000' }, 8086, 'convotic-local')).not.toContain('FIRESTORE_EMULATOR_HOST');
    expect(registryProblem({ FIRESTORE_EMULATOR_HOST: 'h:1', GOOGLE_CLOUD_PROJECT: 'p' }, 8086, 'convotic-local')).toBeUndefined();
  });

  it('the normalize CLI and the stack agree on the port and project (normalize does not import the stack)', () => {
    const source = readFileSync(path.join(__dirname, '../../scripts/normalize.ts'), 'utf8');
    expect(source).toContain(`const LOCAL_FIRESTORE_PORT = ${STACK_DEFAULTS.firestorePort};`);
    expect(source).toContain(`const LOCAL_PROJECT = '${STACK_DEFAULTS.projectId}';`);
  });
});

describe('a sample file given as FILE', () => {
  it('suggests --sample', () => {
    const file = path.join(__dirname, '../../scripts/samples/messenger/text.json');
    expect(sampleFileHint(readFileSync(file), 'scripts/samples/messenger/text.json')).toMatch(/use --sample messenger\/text$/);
    expect(sampleFileHint(Buffer.from('{"object":"page","entry":[]}'), 'body.json')).toBeUndefined();
    expect(sampleFileHint(Buffer.from('not json'), 'body.json')).toBeUndefined();
  });
});
