// Every command parses its arguments the same way: node:util parseArgs with positionals and
// -h/--help; a parse error prints the message and the usage and exits 2, --help prints the usage
// and exits 0.
import { parseArgs } from 'node:util';

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[] | boolean[];
}

type WithHelp<O> = O & { help: { type: 'boolean'; short: 'h' } };
type Parsed<O extends Record<string, OptionSpec>> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: WithHelp<O> }>>;

/** The parsed arguments, or the exit code to return (2 after a parse error, 0 after --help). */
export function parseCommandArguments<const O extends Record<string, OptionSpec>>(command: string, usage: string, args: string[], options: O): Parsed<O> | number {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { ...options, help: { type: 'boolean', short: 'h' } } as WithHelp<O> }) as Parsed<O>;
  } catch (error) {
    process.stderr.write(`embedding-studio ${command}: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(usage);
    return 0;
  }
  return parsed;
}
