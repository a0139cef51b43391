import { CliError } from './errors.ts';

/**
 * Flags as the docker CLI parses them (cobra/pflag): `-it` (combined booleans), `-m msg`,
 * `-mmsg`, `--name web`, `--name=web`, `--` ends the flags. Commands that take a command line
 * (`run`, `create`, `exec`, `at`) stop at the first argument, so `strata exec web ls -l` leaves
 * `-l` to `ls`. An unknown flag fails as docker's does (status 125).
 */
export interface FlagSpec {
  long: string;
  short?: string;
  /** `bool` (default), `string`, or `list` (repeatable string). */
  type?: 'bool' | 'string' | 'list';
  description: string;
  /** Shown in the usage as the value's name (`string` by default). */
  value?: string;
}

export type ParsedFlags = Record<string, boolean | string | string[] | undefined>;

export interface Parsed {
  flags: ParsedFlags;
  args: string[];
}

const flagError = (command: string, message: string) =>
  new CliError(`${message}\nSee 'strata ${command} --help'.`, 125);

export function parseArgs(
  command: string,
  specs: readonly FlagSpec[],
  argv: readonly string[],
  interspersed: boolean,
): Parsed {
  const flags: ParsedFlags = {};
  const args: string[] = [];
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const set = (spec: FlagSpec, value: string | boolean) => {
    if ((spec.type ?? 'bool') === 'list')
      flags[spec.long] = [...((flags[spec.long] as string[] | undefined) ?? []), String(value)];
    else flags[spec.long] = value;
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw flagError(command, `unknown flag: --${name}`);
      if ((spec.type ?? 'bool') === 'bool') {
        const value = eq === -1 ? 'true' : arg.slice(eq + 1);
        if (value !== 'true' && value !== 'false')
          throw flagError(
            command,
            `invalid argument "${value}" for "--${name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`,
          );
        flags[spec.long] = value === 'true';
      } else if (eq !== -1) set(spec, arg.slice(eq + 1));
      else {
        if (i + 1 >= argv.length) throw flagError(command, `flag needs an argument: --${name}`);
        set(spec, argv[++i]!);
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const spec = byShort.get(letter);
        if (!spec) throw flagError(command, `unknown shorthand flag: '${letter}' in ${arg}`);
        if ((spec.type ?? 'bool') === 'bool') {
          flags[spec.long] = true;
          continue;
        }
        const rest = arg.slice(j + 1).replace(/^=/, '');
        if (rest) set(spec, rest);
        else {
          if (i + 1 >= argv.length)
            throw flagError(command, `flag needs an argument: '${letter}' in -${letter}`);
          set(spec, argv[++i]!);
        }
        break;
      }
      continue;
    }
    args.push(arg);
    if (!interspersed) {
      i++;
      break;
    }
  }
  args.push(...argv.slice(i));
  return { flags, args };
}

/** The OPTIONS part of a command's help, as cobra prints it. */
export function flagUsage(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => {
    const value =
      (s.type ?? 'bool') === 'bool'
        ? ''
        : ` ${s.value ?? ((s.type ?? 'bool') === 'list' ? 'list' : 'string')}`;
    return `${s.short ? `-${s.short}, ` : '    '}--${s.long}${value}`;
  });
  const width = Math.max(0, ...left.map((l) => l.length));
  return specs.map((s, i) => `  ${left[i]!.padEnd(width)}   ${s.description}`).join('\n');
}
