import type { Config } from '../../../core/src/config.ts'
import type { Logger } from '../../../core/src/log.ts'
import type { Runtime } from '../../../core/src/runtime.ts'

/** What a clawbackctl command gets: parsed args, config, and a lazily opened runtime. */
export type CommandContext = {
  args: string[]
  options: Record<string, string | boolean | string[]>
  config: Config
  log: Logger
  /** opens the database (the running embedded PostgreSQL, or starts it) with the schema current */
  runtime: (options?: { migrate?: boolean }) => Promise<Runtime>
  stdout: (text: string) => void
  stderr: (text: string) => void
  readStdin: () => Promise<string>
}

/**
 * One clawbackctl command. `path` is the words that select it (`['user', 'create']`); `run` returns
 * the process exit code. Commands print results on stdout (scripts capture them) and everything
 * else on stderr.
 */
export type Command = {
  path: string[]
  usage: string
  summary: string
  run: (ctx: CommandContext) => Promise<number>
}

/** `--name value`, `--name=value`, repeated options collect into arrays, bare `--flag` is true. */
export const parseArgs = (argv: string[]) => {
  const args: string[] = []
  const options: Record<string, string | boolean | string[]> = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('--')) {
      args.push(a)
      continue
    }
    const eq = a.indexOf('=')
    const name = a.slice(2, eq > 0 ? eq : undefined)
    let value: string | boolean = true
    if (eq > 0) value = a.slice(eq + 1)
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) value = argv[++i]!
    const prev = options[name]
    options[name] =
      prev === undefined ? value : Array.isArray(prev) ? [...prev, String(value)] : [String(prev), String(value)]
  }
  return { args, options }
}

export const list = (v: string | boolean | string[] | undefined): string[] =>
  v === undefined || typeof v === 'boolean'
    ? []
    : (Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean)

/** Opens the runtime for one command and always closes it (stopping embedded PostgreSQL it started). */
export const withRuntime = async <T>(
  ctx: CommandContext,
  fn: (rt: Awaited<ReturnType<CommandContext['runtime']>>) => Promise<T>,
  options?: { migrate?: boolean },
) => {
  const rt = await ctx.runtime(options)
  try {
    return await fn(rt)
  } finally {
    await rt.close()
  }
}
