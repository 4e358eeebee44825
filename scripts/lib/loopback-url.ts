/**
 * Whether a URL names this machine: the scripts send no credentials to the
 * local stack, and follow its emulators only there.
 */
const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

export function isLoopback(url: URL | string): boolean {
  return LOOPBACK_HOSTS.includes((typeof url === 'string' ? new URL(url) : url).hostname);
}
