/**
 * Import boundaries (.dependency-cruiser.cjs): a platform is one folder that
 * imports the kit, not the pipelines; the kit imports no platform; a webhook
 * function bundles one edge adapter; consumers keep out of each other's
 * storage. Runs `npm run depcruise`, so a failure here prints the same report.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '..');

it('keeps every import boundary of .dependency-cruiser.cjs (known violations aside)', async () => {
  let report: string;
  try {
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'depcruise'], { cwd: ROOT, maxBuffer: 10 * 1024 * 1024 });
    report = stdout;
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`dependency-cruiser found import boundary violations:\n${stdout ?? ''}${stderr ?? ''}`, { cause: err });
  }
  expect(report).toMatch(/no dependency violations found/);
}, 60_000);
