import { ConfigError, loadConfig } from '../../../core/src/config.ts'
import { AppError } from '../../../core/src/errors.ts'
import { createLogger } from '../../../core/src/log.ts'
import { openRuntime } from '../../../core/src/runtime.ts'
import { type CommandContext, parseArgs } from './command.ts'
import { COMMANDS } from './registry.ts'

const usage = () =>
  `usage: clawbackctl <command>\n\n${COMMANDS.map((c) => `  ${c.usage.padEnd(60)} ${c.summary}`).join('\n')}\n\nSettings come from the environment and /etc/clawback/clawback.conf, as for the server.\n`

const readStdin = async () => {
  if (process.stdin.isTTY) return ''
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * clawbackctl: the operator's CLI. Works beside a running `npm start` (reusing its embedded
 * PostgreSQL) or alone (starting it, then stopping it). Returns the exit code.
 */
export const main = async (argv: string[]): Promise<number> => {
  const command = [...COMMANDS]
    .sort((a, b) => b.path.length - a.path.length)
    .find((c) => c.path.every((w, i) => argv[i] === w))
  if (!command || argv.includes('--help')) {
    process.stderr.write(usage())
    return command ? 0 : 2
  }
  const { args, options } = parseArgs(argv.slice(command.path.length))
  try {
    const config = loadConfig()
    const log = createLogger(process.env.LOG_LEVEL ?? 'warn')
    const ctx: CommandContext = {
      args,
      options,
      config,
      log,
      runtime: (o = {}) => openRuntime(config, log, { migrate: o.migrate ?? config.autoMigrate, maxConnections: 4 }),
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
      readStdin,
    }
    return await command.run(ctx)
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`)
    else if (err instanceof AppError || err instanceof Error) process.stderr.write(`clawbackctl: ${err.message}\n`)
    else process.stderr.write(`clawbackctl: ${String(err)}\n`)
    return err instanceof ConfigError ? 2 : 1
  }
}
