/** `npm start`'s command line (scripts/start.ts), parsed by the shared parser (args.ts). */
import { commaList, HELP_OPTION, parseCli, UsageError } from './args';
import type { LoadMode } from './functions';

export interface StartCli {
  help: boolean;
  mode: LoadMode;
  only?: string[];
  seed: boolean;
  persist: boolean;
  watch: boolean;
}

export const START_OPTIONS = {
  ...HELP_OPTION,
  dist: { type: 'boolean' },
  only: { type: 'string' },
  'no-seed': { type: 'boolean' },
  persist: { type: 'boolean' },
  watch: { type: 'boolean' },
} as const;

/** `functions` is topology.json's list: a name outside it is refused with the list. */
export function parseStartArgs(argv: readonly string[], functions: readonly string[]): StartCli {
  const { values, positionals } = parseCli(argv, START_OPTIONS);
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]} (options start with --)`);
  const cli: StartCli = {
    help: values.help === true,
    mode: values.dist ? 'dist' : 'source',
    seed: !values['no-seed'],
    persist: values.persist === true,
    watch: values.watch === true,
  };
  if (values.only !== undefined) {
    const only = commaList(values.only);
    const unknown = only.filter((n) => !functions.includes(n));
    if (!only.length) throw new UsageError(`--only needs a comma-separated list of function names: ${functions.join(', ')}`);
    if (unknown.length)
      throw new UsageError(`--only: no function ${unknown.join(', ')} in topology.json; the functions are: ${functions.join(', ')}`);
    cli.only = only;
  }
  if (cli.watch && cli.mode === 'dist') throw new UsageError('--watch restarts functions from their sources; it cannot go with --dist');
  return cli;
}
