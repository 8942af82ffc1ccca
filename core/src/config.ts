import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

/**
 * The one configuration table. Every setting is read from the environment, then from the
 * optional config file (`CLAWBACK_CONFIG`, default `/etc/clawback/clawback.conf` when it exists),
 * in `KEY=value` lines. A `*_FILE` variant reads a secret's value from a file.
 */
type Kind = 'string' | 'int' | 'bool' | 'url' | 'enum' | 'bytes'
type Spec = {
  key: string
  kind: Kind
  default?: string
  secret?: boolean
  values?: readonly string[]
  help: string
}

export const SETTINGS = [
  {
    key: 'DATABASE_URL',
    kind: 'url',
    secret: true,
    help: 'PostgreSQL URL; empty starts embedded PostgreSQL in the data directory',
  },
  {
    key: 'CLAWBACK_DATA_DIR',
    kind: 'string',
    default: './var',
    help: 'data directory: blobs, backups, embedded PostgreSQL, master secret',
  },
  {
    key: 'CLAWBACK_ROLES',
    kind: 'string',
    default: 'api,worker,console',
    help: 'roles this process runs: api, worker, console',
  },
  { key: 'HOST', kind: 'string', default: '127.0.0.1', help: 'address the web roles listen on' },
  { key: 'PORT', kind: 'int', default: '8080', help: 'port of the REST API and analyst UI' },
  { key: 'CONSOLE_PORT', kind: 'int', default: '8081', help: 'port of the management console (8443 on the appliance)' },
  {
    key: 'CLAWBACK_PUBLIC_URL',
    kind: 'string',
    default: '',
    help: 'external base URL shown in source POST URLs and feed URLs',
  },
  { key: 'CLAWBACK_TLS', kind: 'bool', default: 'false', help: 'serve HTTPS (sessions become Secure cookies)' },
  {
    key: 'CLAWBACK_EMBEDDED_PG_PORT',
    kind: 'int',
    default: '54329',
    help: 'port of the embedded PostgreSQL (loopback only)',
  },
  {
    key: 'CLAWBACK_MASTER_SECRET_FILE',
    kind: 'string',
    default: '',
    help: 'master secret file; default <data dir>/master.key',
  },
  { key: 'CLAWBACK_MAX_BODY_BYTES', kind: 'bytes', default: '1048576', help: 'largest accepted JSON alert body' },
  {
    key: 'CLAWBACK_MAX_ATTACHMENT_BYTES',
    kind: 'bytes',
    default: '26214400',
    help: 'largest accepted attachment upload',
  },
  { key: 'CLAWBACK_SESSION_HOURS', kind: 'int', default: '12', help: 'idle lifetime of a web session' },
  { key: 'CLAWBACK_LOCKOUT_ATTEMPTS', kind: 'int', default: '5', help: 'failed sign-ins before an account is locked' },
  { key: 'CLAWBACK_LOCKOUT_MINUTES', kind: 'int', default: '15', help: 'how long a locked account stays locked' },
  { key: 'CLAWBACK_WORKER_CONCURRENCY', kind: 'int', default: '4', help: 'jobs a worker runs at once per queue' },
  {
    key: 'CLAWBACK_AUTO_MIGRATE',
    kind: 'bool',
    default: 'true',
    help: 'apply pending migrations at start (a checkout); the appliance migrates in its upgrade step',
  },
  {
    key: 'CLAWBACK_ROOT',
    kind: 'string',
    default: '/',
    help: 'file-system root of the release layout (<root>/opt/clawback/releases, current) that upgrades act on',
  },
  {
    key: 'CLAWBACK_PRIVILEGED',
    kind: 'enum',
    default: 'in-process',
    values: ['in-process', 'systemd'],
    help: 'how the console applies upgrades and restarts roles: in-process (a checkout) or through the root helper unit (the appliance)',
  },
  {
    key: 'CLAWBACK_AGENT_ENDPOINT',
    kind: 'bool',
    default: 'false',
    help: "console role: run the agents' TLS collection endpoint (port from the agent settings)",
  },
  {
    key: 'CLAWBACK_AGENT_HOST',
    kind: 'string',
    default: '0.0.0.0',
    help: 'address the agent collection endpoint listens on',
  },
  {
    key: 'LOG_LEVEL',
    kind: 'enum',
    default: 'info',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    help: 'log level',
  },
] as const satisfies readonly Spec[]

type Key = (typeof SETTINGS)[number]['key']

export type Config = {
  databaseUrl: string | undefined
  dataDir: string
  roles: Set<Role>
  host: string
  port: number
  consolePort: number
  publicUrl: string
  tls: boolean
  embeddedPgPort: number
  /** false when CLAWBACK_EMBEDDED_PG_PORT is the default: a busy default port is then replaced by a free one */
  isEmbeddedPgPortSet: boolean
  masterSecretFile: string
  maxBodyBytes: number
  maxAttachmentBytes: number
  sessionHours: number
  lockoutAttempts: number
  lockoutMinutes: number
  workerConcurrency: number
  autoMigrate: boolean
  root: string
  privileged: 'in-process' | 'systemd'
  agentEndpoint: boolean
  agentHost: string
  logLevel: string
}

export type Role = 'api' | 'worker' | 'console'
const ROLES: readonly Role[] = ['api', 'worker', 'console']

export class ConfigError extends Error {
  readonly problems: string[]

  constructor(problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

const parseFile = (file: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [i, raw] of readFileSync(file, 'utf8').split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    if (eq < 1) throw new ConfigError([`${file}:${i + 1}: expected KEY=value`])
    out[line.slice(0, eq).trim()] = line
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
  }
  return out
}

const BYTES = /^(\d+)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?$/i
const UNIT: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/**
 * Parses the whole table at once. Throws ConfigError listing every problem, never only the first.
 */
export const loadConfig = (env: NodeJS.ProcessEnv = process.env): Config => {
  const problems: string[] = []
  const known = new Set<string>(SETTINGS.map((s) => s.key))
  const configFile =
    env.CLAWBACK_CONFIG ?? (existsSync('/etc/clawback/clawback.conf') ? '/etc/clawback/clawback.conf' : undefined)
  let fromFile: Record<string, string> = {}
  if (configFile) {
    try {
      fromFile = parseFile(configFile)
      for (const k of Object.keys(fromFile)) {
        if (!known.has(k.replace(/_FILE$/, ''))) problems.push(`${configFile}: unknown setting ${k}`)
      }
    } catch (err) {
      problems.push(err instanceof ConfigError ? err.problems.join('; ') : `${configFile}: ${(err as Error).message}`)
    }
  }

  const raw = (key: Key): string | undefined => {
    const fileKey = `${key}_FILE`
    const viaFile = env[fileKey] ?? fromFile[fileKey]
    if (viaFile) {
      try {
        return readFileSync(viaFile, 'utf8').trim()
      } catch (err) {
        problems.push(`${fileKey}: cannot read ${viaFile}: ${(err as NodeJS.ErrnoException).code}`)
        return undefined
      }
    }
    const v = env[key] ?? fromFile[key]
    return v === '' ? undefined : v
  }

  const values = {} as Record<Key, string | number | boolean | undefined>
  const given = new Set<Key>()
  for (const spec of SETTINGS as readonly Spec[]) {
    const key = spec.key as Key
    const set = raw(key)
    if (set !== undefined) given.add(key)
    const v = set ?? spec.default
    if (v === undefined || v === '') {
      values[key] = v
      continue
    }
    switch (spec.kind) {
      case 'int': {
        const n = Number(v)
        if (!Number.isInteger(n) || n < 0) problems.push(`${key}: expected a non-negative integer`)
        values[key] = n
        break
      }
      case 'bytes': {
        const m = BYTES.exec(v)
        if (!m) problems.push(`${key}: expected a size such as 1048576 or 1MiB`)
        else values[key] = Number(m[1]) * (m[2] ? UNIT[m[2][0]!.toLowerCase()]! : 1)
        break
      }
      case 'bool':
        if (!/^(true|false|1|0|yes|no)$/i.test(v)) problems.push(`${key}: expected true or false`)
        values[key] = /^(true|1|yes)$/i.test(v)
        break
      case 'url':
        if (!/^postgres(ql)?:\/\//.test(v)) problems.push(`${key}: expected a postgres:// URL`)
        values[key] = v
        break
      case 'enum':
        if (!spec.values?.includes(v)) problems.push(`${key}: expected one of ${spec.values?.join(', ')}`)
        values[key] = v
        break
      default:
        values[key] = v
    }
  }

  const roleNames = String(values.CLAWBACK_ROLES)
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
  for (const r of roleNames) {
    if (!ROLES.includes(r as Role)) problems.push(`CLAWBACK_ROLES: unknown role "${r}" (api, worker, console)`)
  }
  if (roleNames.length === 0) problems.push('CLAWBACK_ROLES: at least one role is required')
  if (values.PORT === values.CONSOLE_PORT && roleNames.includes('api') && roleNames.includes('console')) {
    problems.push('CONSOLE_PORT: must differ from PORT')
  }
  for (const k of ['PORT', 'CONSOLE_PORT', 'CLAWBACK_EMBEDDED_PG_PORT'] as const) {
    const n = values[k] as number
    if (Number.isInteger(n) && (n < 1 || n > 65535)) problems.push(`${k}: expected a port between 1 and 65535`)
  }
  if (problems.length > 0) throw new ConfigError(problems)

  const dataDir = path.resolve(String(values.CLAWBACK_DATA_DIR))
  return {
    databaseUrl: values.DATABASE_URL as string | undefined,
    dataDir,
    roles: new Set(roleNames as Role[]),
    host: String(values.HOST),
    port: values.PORT as number,
    consolePort: values.CONSOLE_PORT as number,
    publicUrl: String(values.CLAWBACK_PUBLIC_URL ?? ''),
    tls: values.CLAWBACK_TLS as boolean,
    embeddedPgPort: values.CLAWBACK_EMBEDDED_PG_PORT as number,
    isEmbeddedPgPortSet: given.has('CLAWBACK_EMBEDDED_PG_PORT'),
    masterSecretFile: (values.CLAWBACK_MASTER_SECRET_FILE as string | undefined) || path.join(dataDir, 'master.key'),
    maxBodyBytes: values.CLAWBACK_MAX_BODY_BYTES as number,
    maxAttachmentBytes: values.CLAWBACK_MAX_ATTACHMENT_BYTES as number,
    sessionHours: values.CLAWBACK_SESSION_HOURS as number,
    lockoutAttempts: values.CLAWBACK_LOCKOUT_ATTEMPTS as number,
    lockoutMinutes: values.CLAWBACK_LOCKOUT_MINUTES as number,
    workerConcurrency: values.CLAWBACK_WORKER_CONCURRENCY as number,
    autoMigrate: values.CLAWBACK_AUTO_MIGRATE as boolean,
    root: path.resolve(String(values.CLAWBACK_ROOT)),
    privileged: values.CLAWBACK_PRIVILEGED as 'in-process' | 'systemd',
    agentEndpoint: values.CLAWBACK_AGENT_ENDPOINT as boolean,
    agentHost: String(values.CLAWBACK_AGENT_HOST),
    logLevel: String(values.LOG_LEVEL),
  }
}

/** A printable dump of the configuration with every secret redacted (URL passwords included). */
export const describeConfig = (config: Config): Record<string, string> => ({
  DATABASE_URL: config.databaseUrl ? config.databaseUrl.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@') : '(embedded)',
  CLAWBACK_DATA_DIR: config.dataDir,
  CLAWBACK_ROLES: [...config.roles].join(','),
  HOST: config.host,
  PORT: String(config.port),
  CONSOLE_PORT: String(config.consolePort),
  CLAWBACK_PUBLIC_URL: config.publicUrl || '(derived from request)',
  CLAWBACK_TLS: String(config.tls),
  CLAWBACK_EMBEDDED_PG_PORT: String(config.embeddedPgPort),
  CLAWBACK_MASTER_SECRET_FILE: config.masterSecretFile,
  CLAWBACK_MAX_BODY_BYTES: String(config.maxBodyBytes),
  CLAWBACK_MAX_ATTACHMENT_BYTES: String(config.maxAttachmentBytes),
  CLAWBACK_SESSION_HOURS: String(config.sessionHours),
  CLAWBACK_LOCKOUT_ATTEMPTS: String(config.lockoutAttempts),
  CLAWBACK_LOCKOUT_MINUTES: String(config.lockoutMinutes),
  CLAWBACK_WORKER_CONCURRENCY: String(config.workerConcurrency),
  CLAWBACK_AUTO_MIGRATE: String(config.autoMigrate),
  CLAWBACK_ROOT: config.root,
  CLAWBACK_PRIVILEGED: config.privileged,
  CLAWBACK_AGENT_ENDPOINT: String(config.agentEndpoint),
  CLAWBACK_AGENT_HOST: config.agentHost,
  LOG_LEVEL: config.logLevel,
})
