/**
 * The Google identity token the CLIs (`npm run events`, `npm run blocks`,
 * `npm run reconcile`) send to a deployment's private APIs. The APIs check
 * the token's audience is their own URL (shared/runtime/google-id-token.ts),
 * so gcloud's plain token, minted for gcloud itself, is refused: ask gcloud
 * for this URL's audience. gcloud mints that for a service account only; a
 * person signed in with their own account impersonates one, the command the
 * error message gives.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UsageError } from './args';
import { isLoopback } from './loopback-url';

export interface IdentityTokenOptions {
  /** A token given on the command line (--token), before the variable. */
  given?: string;
  /** Where the variable and gcloud's PATH come from (tests point PATH at a fake gcloud). */
  env?: NodeJS.ProcessEnv;
}

/** The audience the APIs expect: the function's URL as Terraform outputs it, without a trailing slash. */
export const audienceOf = (url: URL) => url.href.replace(/\/+$/, '');

/** The first line of what a failed gcloud said, without Node's "Command failed: ..." wrapper. */
function gcloudSaid(err: unknown): string {
  const e = err as { code?: unknown; stderr?: string; message?: string };
  if (e.code === 'ENOENT') return 'gcloud is not installed or not on PATH';
  const lines = (e.stderr ?? '').split('\n').map((l) => l.trim());
  return lines.find((l) => /^ERROR:/.test(l)) ?? lines.find(Boolean) ?? (e.message ?? String(err)).split('\n')[0] ?? '';
}

/**
 * The token for `url`: `given`, else `$envVar`, else none for a loopback URL
 * (the local stack checks none), else gcloud's for the URL's audience. A URL
 * that is not loopback must be https: a bearer token never goes over plain http.
 */
export async function identityToken(url: URL, envVar: string, options: IdentityTokenOptions = {}): Promise<string | undefined> {
  const env = options.env ?? process.env;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url)))
    throw new UsageError(`refusing to send an identity token to ${url.origin}: a URL that is not this machine must be https`);
  const set = options.given ?? env[envVar];
  if (set) return set;
  if (isLoopback(url)) return undefined;
  const audience = audienceOf(url);
  try {
    const { stdout } = await promisify(execFile)('gcloud', ['auth', 'print-identity-token', `--audiences=${audience}`], {
      timeout: 30_000,
      env,
    });
    const token = stdout.trim();
    if (!token) throw Object.assign(new Error('gcloud printed no token'), { stderr: '' });
    return token;
  } catch (err) {
    throw new UsageError(
      `could not get a Google identity token for ${audience} from gcloud (${gcloudSaid(err)}); ` +
        `gcloud mints one only as a service account: ${envVar}=$(gcloud auth print-identity-token --impersonate-service-account=SA --audiences=${audience} --include-email)`,
    );
  }
}
